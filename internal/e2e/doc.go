// Package e2e proves that batch scoring survives crashes when mlserve runs
// as it does in production: the tests build cmd/mlserve once, run
// `mlserve api` and `mlserve worker` as separate processes against a real
// redis-server and a MongoDB-wire server over loopback TCP (the embedded
// FerretDB, run by the ferretdb command beside this file), and break them.
//
// What the tests show (SPEC 7, issue 5):
//   - a worker killed with SIGKILL while it scores 1,000,000 rows loses
//     nothing: after a new worker recovers the job, it ends succeeded with
//     exactly one output row per input row, in input order, each prediction
//     equal to the online predict of the same row;
//   - Redis killed and restarted (empty) during a score job: the job still
//     ends succeeded with exact output;
//   - while Redis is down, submitting a job is a 503 and /readyz names
//     redis, predictions from loaded models keep working, and once Redis is
//     back the same API accepts and runs jobs without a restart.
//
// The package holds only tests (and ferretdb/, the server they run). They
// take minutes, since asynq re-delivers the task of a dead worker only after
// its lease has been expired for 30 s, as checked once a minute, and are
// skipped with -short.
package e2e
