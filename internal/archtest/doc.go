// Package archtest holds tests of the repository's shape: which packages may
// import which, and what the production binary links.
package archtest
