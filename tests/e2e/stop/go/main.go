// Command stop serves HTTP and installs no signal handler, like most apps: as PID 1, the Go
// runtime exits with status 2 on SIGTERM and reaps no orphaned process.
package main

import (
	"net/http"
	"os"
	"os/exec"
	"time"
)

func main() {
	// `orphan` starts a short-lived child and exits at once: the child is left to PID 1,
	// which must reap it. `nap` is that child. (exec.Command gives it no stdio, so
	// `docker exec` returns as soon as `orphan` exits.)
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "orphan":
			self, err := os.Executable()
			if err == nil {
				err = exec.Command(self, "nap").Start()
			}
			if err != nil {
				os.Exit(1)
			}
			return
		case "nap":
			time.Sleep(300 * time.Millisecond)
			return
		}
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// /slow answers after a second: the request kept in flight during a stop.
		if r.URL.Path == "/slow" {
			time.Sleep(time.Second)
		}
		w.Write([]byte("ok\n"))
	})
	if err := http.ListenAndServe("0.0.0.0:8080", nil); err != nil {
		os.Exit(1)
	}
}
