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
//
// It applies WithAttrs and WithGroup to the handler below only when a
// record passes: a handler formats attributes when they are added, and a
// chatty caller (FerretDB adds every SQL statement's arguments, whole
// GridFS chunks included, to a logger per statement) would otherwise pay
// for formatting what is then dropped.
type minLevel struct {
	h   slog.Handler
	min slog.Level
	// with are the pending WithAttrs and WithGroup calls, in order.
	with []func(slog.Handler) slog.Handler
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
	h := m.h
	for _, with := range m.with {
		h = with(h)
	}
	return h.Handle(ctx, r)
}

func (m minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return m.add(func(h slog.Handler) slog.Handler { return h.WithAttrs(attrs) })
}

func (m minLevel) WithGroup(name string) slog.Handler {
	return m.add(func(h slog.Handler) slog.Handler { return h.WithGroup(name) })
}

// add returns m with one more pending call; m's own list is never shared
// for appending, since loggers derived from one another must not clobber
// each other's calls.
func (m minLevel) add(with func(slog.Handler) slog.Handler) slog.Handler {
	pending := make([]func(slog.Handler) slog.Handler, len(m.with), len(m.with)+1)
	copy(pending, m.with)
	m.with = append(pending, with)
	return m
}
