// Package natsembed runs NATS JetStream servers inside the process, for the
// default run and for tests: nothing needs to be installed.
//
// Start runs one server with its data in a directory, reachable through an
// in-process connection and, when asked, on a TCP port: on 127.0.0.1
// unless Options.Host says otherwise. It can require user/password or nkey
// authentication, serve TLS (with client certificates when asked), and
// take users and permissions from a nats-server configuration file, such
// as the tenants' permission set in deploy/nats-tenants.conf. StartCluster
// runs three (or more) servers joined by cluster routes on loopback ports,
// so tests can use replicated streams.
package natsembed
