// Package archtest holds tests of the repository's shape: which packages may
// import which, what the production binary links, and that no large file
// (a build output) is tracked outside testdata/.
package archtest
