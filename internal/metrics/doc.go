// Package metrics is mlserve's Prometheus instrumentation (SPEC 4.6): one
// Set per process holds every family, registered on a registry of its own,
// and the components it observes are handed the parts they need (the HTTP
// middleware, the prediction handlers, the model cache, the job store, the
// queue poller). It is the only package that imports client_golang.
//
// No label takes a value a client can invent: routes are chi's patterns,
// models and versions are labelled only once a version resolved, error
// reasons, statuses, job types and queues come from fixed lists.
package metrics
