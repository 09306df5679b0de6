// Package tenants tests that tenants sharing one NATS account, each with
// its own user and the permission set of deploy/nats-tenants.conf, are
// confined to their own threads: one tenant's credentials cannot read,
// write, delete or tail another's, and each attempt ends in a permission
// error rather than a hang.
package tenants
