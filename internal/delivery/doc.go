// Package delivery holds the checks of what ships beside the code: the
// container image's Dockerfile and the GitLab pipeline. They run the real
// tools that work on a machine without a Docker engine or a GitLab runner
// (the build command the image runs, dockerfilelint, gitlab-ci-local); a
// check whose tool is missing skips, or fails under
// MLSERVE_TEST_REQUIRE_REAL=1, as CI sets it.
package delivery
