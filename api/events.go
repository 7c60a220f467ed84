package api

import (
	"context"
	"log/slog"
	"time"

	"gitlab.com/mlserve/mlserve/model"
)

// publishTimeout bounds announcing a change; the caches' refresh timer
// covers a notice that is late or lost.
const publishTimeout = 2 * time.Second

// announcingVersions is the VersionStore the alias and version handlers
// write through: after each change that moves what a model name, alias or
// version resolves to, it announces the model's change. Announcing is best
// effort: a failure is logged and never fails the request, whose change is
// made already.
type announcingVersions struct {
	model.VersionStore
	events model.ModelEvents
	logger *slog.Logger
}

func (s *announcingVersions) SetAlias(ctx context.Context, name, alias string, version int) error {
	return s.announce(ctx, name, s.VersionStore.SetAlias(ctx, name, alias, version))
}

func (s *announcingVersions) DeleteAlias(ctx context.Context, name, alias string) error {
	return s.announce(ctx, name, s.VersionStore.DeleteAlias(ctx, name, alias))
}

func (s *announcingVersions) DeleteVersion(ctx context.Context, name string, version int) error {
	return s.announce(ctx, name, s.VersionStore.DeleteVersion(ctx, name, version))
}

// announce announces the change of the named model when err, the change's
// outcome, is nil, and returns err. The request may end as soon as it is
// answered, so the notice does not depend on its context.
func (s *announcingVersions) announce(ctx context.Context, name string, err error) error {
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	if err := s.events.ModelChanged(ctx, name); err != nil {
		s.logger.WarnContext(ctx, "announce model change; replicas pick it up on their next refresh",
			"request_id", requestID(ctx), "model", name, "err", err)
	}
	return nil
}
