//go:build race

package crash

// raceEnabled builds the child with -race too, so that it shares the
// test's compiled packages and its races are reported.
const raceEnabled = true
