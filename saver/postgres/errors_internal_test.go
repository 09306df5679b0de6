package postgres

import (
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/jetgraph/jetgraph/saver"
)

func TestNativeErrorsMapToSentinels(t *testing.T) {
	t.Parallel()
	cases := []struct {
		code string
		want error
	}{
		{uniqueViolation, saver.ErrConflict},
		{serializationFailure, saver.ErrConflict},
		{deadlockDetected, saver.ErrConflict},
		{programLimitExceeded, saver.ErrTooLarge},
		{dataCorrupted, saver.ErrCorrupt},
	}
	for _, c := range cases {
		native := &pgconn.PgError{Code: c.code, Message: "native"}
		err := mapErr(native)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v does not match %v", c.code, err, c.want)
		}
		var pe *pgconn.PgError
		if !errors.As(err, &pe) {
			t.Errorf("%s: the native error is lost in %v", c.code, err)
		}
	}
	if err := mapErr(&pgconn.PgError{Code: "42P01"}); errors.Is(err, saver.ErrConflict) {
		t.Errorf("undefined table mapped to a conflict: %v", err)
	}
}
