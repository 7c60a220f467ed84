// Package api is mlserve's HTTP API: a chi router whose every route is listed
// in routes.go, the middleware around it (request ids, access log, panic
// recovery, body limits, API-key auth), one JSON decoder and one
// problem+json error writer shared by every handler, and the http.Server
// settings and graceful shutdown the API process runs with.
//
// Handlers are makers, func handleX(deps...) http.Handler, that receive only
// what they use. The api never imports the worker; both speak model.
package api
