// Package nginx holds mlserve's reverse-proxy configuration, nginx.conf and
// upstream.conf, and the tests that run a real nginx with it in front of the
// real API. It has no Go code of its own.
package nginx
