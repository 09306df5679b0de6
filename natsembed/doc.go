// Package natsembed runs NATS JetStream servers inside the process, for the
// default run and for tests: nothing needs to be installed.
//
// Start runs one server with its data in a directory, reachable through an
// in-process connection and, when asked, on a loopback port. StartCluster
// runs three (or more) servers joined by cluster routes on loopback ports, so
// tests can use replicated streams.
package natsembed
