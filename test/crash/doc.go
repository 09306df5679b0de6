// Package crash is the crash harness: its test builds the worker in
// ./child, runs an order workflow with it on every saver (JetStream,
// SQLite, PostgreSQL) in every durability mode, SIGKILLs it at random
// moments, starts it again until the workflow ends, and then checks the
// stored event log against an uninterrupted reference run: the same final
// state, no step commit lost or duplicated, no Task whose outcome was
// stored run again, and in sync mode no acknowledged step lost.
//
//	go test ./test/crash/ -run Crash -v
//	go test ./test/crash/ -run Crash/recovery -v -crash.seed=1234 -crash.kills=200
//
// It prints the seed, then one line per saver and mode:
//
//	crash-recovery: saver=sqlite mode=sync kills=20 completed=9 lost=0 duplicate_commits=0 reexecuted_recorded_tasks=0
package crash
