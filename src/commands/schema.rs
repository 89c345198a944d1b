//! `mbgen schema`: print or write the JSON Schema of mbgen.toml.

use std::io::Write as _;

use crate::cli::SchemaArgs;
use crate::output::write_atomic;
use crate::Error;

pub(super) fn run(args: SchemaArgs) -> Result<(), Error> {
    let SchemaArgs { output } = args;
    let schema = crate::schema::schema_json();
    match output {
        Some(path) => write_atomic(&path, &schema),
        None => std::io::stdout()
            .write_all(schema.as_bytes())
            .map_err(Error::io("write", "standard output")),
    }
}
