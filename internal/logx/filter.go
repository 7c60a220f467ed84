package logx

import (
	"context"
	"log/slog"
)

// AtLeast returns a logger that drops records below min before they reach
// l's handler, which still applies its own level too. Chatty libraries such
// as the embedded FerretDB get one.
func AtLeast(l *slog.Logger, min slog.Level) *slog.Logger {
	return slog.New(minLevel{h: l.Handler(), min: min})
}

// minLevel is a slog.Handler that drops records below min.
type minLevel struct {
	h   slog.Handler
	min slog.Level
}

func (m minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.min && m.h.Enabled(ctx, l)
}

// Handle checks the level again because a handler may be called directly,
// without Enabled first.
func (m minLevel) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < m.min {
		return nil
	}
	return m.h.Handle(ctx, r)
}

func (m minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{h: m.h.WithAttrs(attrs), min: m.min}
}

func (m minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h: m.h.WithGroup(name), min: m.min}
}
