// Package runners holds the end-to-end tests of distributed node runners:
// real node-runner processes, built by the test, on an embedded NATS
// server, killed and restarted while a client runs threads through them;
// and a check of docker-compose.yml against the binaries' real flags.
package runners
