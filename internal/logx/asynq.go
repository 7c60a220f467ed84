package logx

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/hibiken/asynq"
)

// Asynq adapts l to asynq.Logger, so the asynq server and scheduler log
// through the process logger. Messages are fmt.Sprint of the arguments, as
// asynq's own logger does; add context first, e.g.
// logx.Asynq(logger.With("component", "asynq")).
//
// Fatal logs at error level and then calls os.Exit(1): that is asynq's
// contract for Fatal, which it uses only when it cannot go on.
func Asynq(l *slog.Logger) asynq.Logger { return asynqLogger{l} }

type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.log(slog.LevelDebug, args) }
func (a asynqLogger) Info(args ...any)  { a.log(slog.LevelInfo, args) }
func (a asynqLogger) Warn(args ...any)  { a.log(slog.LevelWarn, args) }
func (a asynqLogger) Error(args ...any) { a.log(slog.LevelError, args) }

func (a asynqLogger) Fatal(args ...any) {
	a.l.Error(fmt.Sprint(args...), "fatal", true)
	os.Exit(1)
}

func (a asynqLogger) log(level slog.Level, args []any) {
	ctx := context.Background()
	if a.l.Enabled(ctx, level) {
		a.l.Log(ctx, level, fmt.Sprint(args...))
	}
}
