// Package config loads mlserve's configuration: defaults, then a config file,
// then MLSERVE_* environment variables, then flags. It is the only package
// that imports viper; everything else receives the typed Config.
package config

import (
	"time"

	"gitlab.com/mlserve/mlserve/internal/apikey"
)

// Config is the whole effective configuration of an mlserve process.
type Config struct {
	HTTP    HTTP
	Limits  Limits
	Mongo   Mongo
	Redis   Redis
	Jobs    Jobs
	Worker  Worker
	Auth    Auth
	Cache   Cache
	Log     Log
	Metrics Metrics
	Ops     Ops
	// Dev is read only by mlserve-dev.
	Dev Dev
}

// HTTP configures the API's listener and server timeouts.
type HTTP struct {
	Addr              string        // http.addr
	ReadHeaderTimeout time.Duration // http.read_header_timeout
	ReadTimeout       time.Duration // http.read_timeout
	WriteTimeout      time.Duration // http.write_timeout
	IdleTimeout       time.Duration // http.idle_timeout
	ShutdownTimeout   time.Duration // http.shutdown_timeout
}

// Limits bounds what a client may send.
type Limits struct {
	BodyBytes      int64 // limits.body_bytes: JSON request bodies
	DatasetBytes   int64 // limits.dataset_bytes: CSV uploads
	DatasetColumns int   // limits.dataset_columns
	// DatasetColumnNameBytes and DatasetHeaderBytes bound a dataset's
	// header: limits.dataset_column_name_bytes, limits.dataset_header_bytes.
	DatasetColumnNameBytes int
	DatasetHeaderBytes     int64
	PredictRows            int // limits.predict_rows: instances per predict call
}

// Mongo says where the MongoDB-wire store is.
type Mongo struct {
	URI      string        // mongo.uri (secret: its password is masked)
	Database string        // mongo.database
	Timeout  time.Duration // mongo.timeout: connect and per-operation bound
}

// Redis says where the Redis behind the job queue is.
type Redis struct {
	Addr     string // redis.addr
	Password string // redis.password (secret)
	DB       int    // redis.db
	TLS      bool   // redis.tls
}

// Jobs configures job execution; the API and the worker both read it (the
// API stamps the timeout and retry budget on every task it enqueues).
type Jobs struct {
	TrainTimeout  time.Duration // jobs.train_timeout
	ScoreTimeout  time.Duration // jobs.score_timeout
	MaxRetry      int           // jobs.max_retry: retries after the first attempt
	ScorePartRows int           // jobs.score_part_rows: rows in one part of a score job
	TrainMemory   int64         // jobs.train_memory: resident bytes a training process may use
	TrainThreads  int           // jobs.train_threads: threads of one training; 0 = every core
	// MaxTrials (jobs.max_trials) bounds a search's trials; SearchParallel
	// (jobs.search_parallel; 0 = one per core) and SearchMemory
	// (jobs.search_memory, over TrainMemory) bound how many run at once.
	MaxTrials      int
	SearchParallel int
	SearchMemory   int64
	// IdempotencyTTL (jobs.idempotency_ttl) is how long an Idempotency-Key
	// binds its job.
	IdempotencyTTL time.Duration
}

// Worker configures the asynq server.
type Worker struct {
	Concurrency     int            // worker.concurrency
	Queues          map[string]int // worker.queues.<type>: priority weight per job type
	ShutdownTimeout time.Duration  // worker.shutdown_timeout
	CancelPoll      time.Duration  // worker.cancel_poll: how often a running job checks for cancellation
	DatasetCache    int64          // worker.dataset_cache: local disk for dataset copies; 0 = none
}

// Auth configures API keys.
type Auth struct {
	Enabled bool     // auth.enabled
	Keys    []APIKey // auth.keys: entries "name:sha256hex:scope+scope"
}

// APIKey is one accepted key, known only by the SHA-256 of its secret.
type APIKey struct {
	Name   string
	Hash   [32]byte
	Scopes []string
}

// The API key scopes; package apikey owns the auth.keys entry format.
const (
	ScopePredict = apikey.ScopePredict // predict and read models
	ScopeRead    = apikey.ScopeRead    // every GET
	ScopeAdmin   = apikey.ScopeAdmin   // everything
)

// Cache bounds the API's in-memory model cache.
type Cache struct {
	Bytes   int64         // cache.bytes
	Refresh time.Duration // cache.refresh: how often every cached alias is resolved again
}

// Log configures the process logger.
type Log struct {
	Level  string // log.level: debug, info, warn, error
	Format string // log.format: json or text
	Access bool   // log.access: the API's access log
}

// Metrics configures the Prometheus families every process exports.
type Metrics struct {
	Enabled     bool // metrics.enabled: serve /metrics and count
	ModelLabels bool // metrics.model_labels: label predictions by model and version
}

// Ops configures the worker's operations listener.
type Ops struct {
	Addr string // ops.addr: /healthz, /readyz and /metrics; empty = none
}

// Dev configures mlserve-dev's embedded stores. An empty mongo.uri or
// redis.addr makes mlserve-dev start the embedded one.
type Dev struct {
	DataDir string // dev.data_dir: where the embedded MongoDB-wire server keeps its files
}
