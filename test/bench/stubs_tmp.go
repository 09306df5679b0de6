package main

import (
	"context"
	"errors"
)

var errNotBuilt = errors.New("phase not built yet")

func memoryPhase(context.Context, string, options, *printer) error { return errNotBuilt }
func coldPhase(context.Context, string, options, *printer) error   { return errNotBuilt }
func growthPhase(context.Context, string, options, *printer) error { return errNotBuilt }
