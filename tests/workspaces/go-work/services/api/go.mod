module example.com/api

go 1.24

require example.com/log v0.0.0
