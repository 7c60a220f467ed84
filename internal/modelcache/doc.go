// Package modelcache is the API's cache of loaded model versions: it
// implements model.Models over the registry (model.VersionStore), the
// artifacts (model.ArtifactStore) and a model.PredictorLoader.
//
// It keeps two maps. Loaded versions, by (name, version), hold a predictor
// each and are bounded by bytes. Routes, by (name, alias), remember which
// loaded version an alias, or a bare name (alias ""), resolves to, so the
// hot path of a prediction is one map lookup under a read lock and never a
// store query. Routes are resolved again when a change notice for their
// model arrives (Options.Watcher, Redis pub/sub in production) and on a
// timer (Options.Refresh), for the notices a replica misses.
//
// Decisions:
//
//   - A version is loaded fully (artifact read and checked against its
//     sha256, predictor built) before a route points at it. A version that
//     fails to load is refused: the route keeps its old version, the error
//     is logged and the next refresh tries again. A request that already
//     holds a predictor keeps it: nothing a predictor holds is released
//     but by the garbage collector.
//   - Loading is single-flight per (name, version), and resolving a route
//     the first time per (name, alias). The load runs detached from the
//     request that started it (bounded by the store's own timeouts), so a
//     request that gives up does not fail the others waiting on the load,
//     and the loaded version is kept for them.
//   - Eviction is least recently used, by Predictor.SizeBytes, against
//     MaxBytes, and it is strict: no version is pinned, not even one an
//     alias resolves to, since pinning would let the aliases of many models
//     hold more than the budget. Evicting a version drops the routes to it,
//     so the next request for them resolves through the store again and
//     reloads it. (With a budget that holds the hot models, the LRU keeps
//     them: every prediction marks its version used.)
//   - A version whose predictor alone is larger than MaxBytes is refused
//     with CodeUnavailable (503: this server cannot serve it until
//     cache.bytes grows) and remembered (versions are immutable), so
//     requests for it fail at once instead of each reading its artifact
//     again: serving it uncached would mean a load per request.
//   - While the store is down, cached routes and versions keep serving;
//     what is not cached fails with the store's CodeUnavailable, and a
//     refresh that meets the outage keeps everything as it is.
package modelcache
