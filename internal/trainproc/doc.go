// Package trainproc runs training in a child process of the same binary, so
// the training library's hazards stay out of the worker: golearn's logistic
// regression needs GODEBUG=cgocheck=0, it prints to stdout, it can panic,
// exhaust memory, or seed the global math/rand. A child may do all of that;
// the worker only sees an error.
//
// The parent (Runner, a model.Trainer) starts os.Executable() with the
// argument "train-child" and MLSERVE_TRAIN_CHILD=1; every main calls
// IsChild first thing and hands the process to ServeChild. The two talk
// over three pipes, none of them the child's stdout, which the library owns:
//
//   - stdin: the dataset CSV, streamed as read from the caller's reader;
//   - fd 3: the TrainSpec as one JSON value, after which the parent keeps the
//     pipe open without writing: EOF on it means the parent died, and the
//     child exits;
//   - fd 4: the child's messages, one JSON object a line: any number of
//     {"progress":{"done":1,"total":4}}, then exactly one of
//     {"error":{"code":"training_failed","message":"..."}} or
//     {"result":{"classes":[...],"metrics":{...},"artifact_bytes":N,"artifact_sha256":"..."}}
//     followed by the N raw bytes of the artifact (no base64, no temp file).
//
// The child's stdout and stderr go to one pipe whose lines the parent logs at
// debug level and whose last 64 KiB it keeps to explain a crash. The child
// runs in its own process group, so a kill reaches anything it started.
package trainproc
