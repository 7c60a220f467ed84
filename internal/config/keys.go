package config

import (
	"strings"
	"time"

	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/model"
)

// Key documents one configuration key. The loader, --help, the masked log
// line and the README table all come from the same list, so a key cannot be
// settable one way and not another.
type Key struct {
	Name    string // dotted, as in a config file: "http.read_timeout"
	Env     string // "MLSERVE_HTTP_READ_TIMEOUT"
	Flag    string // without dashes: "http-read-timeout"
	Type    string // string, duration, int, bytes, bool or keys
	Default string // as a user would write it
	Usage   string // one line: what the key means
	Secret  bool   // masked when the configuration is logged
}

// Keys lists every key, in the order of the README. With ForDev the defaults
// are mlserve-dev's.
func Keys(opts ...Option) []Key {
	o := newOptions(opts)
	var ks []Key
	for _, k := range table() {
		k.Default = o.defaultOf(k.Key)
		ks = append(ks, k.Key)
	}
	return ks
}

// devDefaults are mlserve-dev's defaults where they differ: no auth, embedded
// stores (an empty address starts the embedded one), loopback only, and
// logs for a terminal.
func devDefaults() map[string]string {
	return map[string]string{
		"http.addr":    "127.0.0.1:8080",
		"mongo.uri":    "",
		"redis.addr":   "",
		"auth.enabled": "false",
		// mlserve-dev serves /metrics and the probes on its one port.
		"ops.addr":   "",
		"log.format": "text",
		// The embedded FerretDB scans a whole GridFS bucket for every
		// range of a dataset a part reads; a local copy reads it once.
		"worker.dataset_cache": "1GiB",
	}
}

// key is a Key with what the loader needs: how to store a raw value into a
// Config, how to show it masked, and a valid non-default example value (the
// tests set every key to its example through every layer).
type key struct {
	Key
	example string
	load    func(c *Config, raw any) error
	show    func(c *Config) any
}

// table is the single list of keys. A new key is one line here plus its field
// in Config.
func table() []key {
	// dur is the common case: a duration that must be positive.
	dur := func(name, def, example, usage string, f func(*Config) *time.Duration) key {
		return field(name, def, example, usage, duration(), f, positive[time.Duration])
	}
	return []key{
		field("http.addr", ":8080", "127.0.0.1:9090", "listen address of the HTTP API (host:port)",
			str(), func(c *Config) *string { return &c.HTTP.Addr }, hostPort),
		dur("http.read_header_timeout", "5s", "7s", "time to read request headers",
			func(c *Config) *time.Duration { return &c.HTTP.ReadHeaderTimeout }),
		dur("http.read_timeout", "30s", "31s", "time to read a whole request, body included",
			func(c *Config) *time.Duration { return &c.HTTP.ReadTimeout }),
		dur("http.write_timeout", "60s", "61s", "time to write a response",
			func(c *Config) *time.Duration { return &c.HTTP.WriteTimeout }),
		dur("http.idle_timeout", "120s", "121s", "keep-alive idle time",
			func(c *Config) *time.Duration { return &c.HTTP.IdleTimeout }),
		dur("http.shutdown_timeout", "20s", "21s", "time in-flight requests get to finish on shutdown",
			func(c *Config) *time.Duration { return &c.HTTP.ShutdownTimeout }),

		field("limits.body_bytes", "1MiB", "2MiB", "largest JSON request body",
			size(), func(c *Config) *int64 { return &c.Limits.BodyBytes }, positive[int64]),
		field("limits.dataset_bytes", "256MiB", "1GiB", "largest CSV dataset upload",
			size(), func(c *Config) *int64 { return &c.Limits.DatasetBytes }, positive[int64]),
		field("limits.dataset_columns", "1000", "50", "most columns in a dataset (1-10000)",
			integer(), func(c *Config) *int { return &c.Limits.DatasetColumns }, between(1, csvdata.MaxColumnsCeiling)),
		field("limits.dataset_column_name_bytes", "256", "64", "longest column name in a dataset's header (1-65536)",
			integer(), func(c *Config) *int { return &c.Limits.DatasetColumnNameBytes }, between(1, 64<<10)),
		field("limits.dataset_header_bytes", "64KiB", "128KiB", "longest header line of a dataset (1KiB-1MiB)",
			size(), func(c *Config) *int64 { return &c.Limits.DatasetHeaderBytes }, sizeBetween(1<<10, csvdata.MaxHeaderBytesCeiling, "1KiB", "1MiB")),
		field("limits.predict_rows", "1000", "10", "most instances in one predict call",
			integer(), func(c *Config) *int { return &c.Limits.PredictRows }, positive[int]),

		field("mongo.uri", "mongodb://localhost:27017", "mongodb://app:s3cret@db.internal:27017/?authSource=admin",
			"MongoDB connection URI; in mlserve-dev, empty starts the embedded one",
			mongoURI(), func(c *Config) *string { return &c.Mongo.URI }),
		field("mongo.database", "mlserve", "mlserve_test", "MongoDB database name",
			str(), func(c *Config) *string { return &c.Mongo.Database }, mongoDatabase),
		dur("mongo.timeout", "10s", "3s", "bound on connecting and on each MongoDB operation",
			func(c *Config) *time.Duration { return &c.Mongo.Timeout }),

		field("redis.addr", "localhost:6379", "redis.internal:6380", "Redis address (host:port); in mlserve-dev, empty starts the embedded one",
			str(), func(c *Config) *string { return &c.Redis.Addr }, optional(hostPort)),
		field("redis.password", "", "s3cret-redis", "Redis password",
			password(), func(c *Config) *string { return &c.Redis.Password }),
		field("redis.db", "0", "3", "Redis database number",
			integer(), func(c *Config) *int { return &c.Redis.DB }, atLeast(0)),
		field("redis.tls", "false", "true", "connect to Redis over TLS",
			boolean(), func(c *Config) *bool { return &c.Redis.TLS }),

		dur("jobs.train_timeout", "30m", "45m", "longest a training job may run",
			func(c *Config) *time.Duration { return &c.Jobs.TrainTimeout }),
		dur("jobs.score_timeout", "30m", "1h", "longest a scoring job may run",
			func(c *Config) *time.Duration { return &c.Jobs.ScoreTimeout }),
		field("jobs.score_part_rows", "100000", "50000", "rows in one part of a score job; every worker scores parts in parallel",
			integer(), func(c *Config) *int { return &c.Jobs.ScorePartRows }, between(10, 100_000_000)),
		field("jobs.max_retry", "3", "5", "retries of a failed job after its first attempt (0-100)",
			integer(), func(c *Config) *int { return &c.Jobs.MaxRetry }, between(0, 100)),
		field("jobs.train_memory", "2GiB", "512MiB", "memory a training process may use before it is killed (over 64MiB)",
			size(), func(c *Config) *int64 { return &c.Jobs.TrainMemory }, moreThan(64<<20, "64MiB")),
		field("jobs.train_threads", "0", "2", "threads one training may keep busy (trees fitted in parallel, predictions of its evaluation); 0 is every core",
			integer(), func(c *Config) *int { return &c.Jobs.TrainThreads }, between(0, 1024)),
		field("jobs.max_trials", "100", "400", "most trials one search may ask for (1-1000)",
			integer(), func(c *Config) *int { return &c.Jobs.MaxTrials }, between(1, model.MaxTrials)),
		dur("jobs.idempotency_ttl", "24h", "48h", "how long an Idempotency-Key of POST /v1/jobs holds: a replay within it returns the first job, after it the key is free",
			func(c *Config) *time.Duration { return &c.Jobs.IdempotencyTTL }),
		field("jobs.search_parallel", "0", "4", "trials of one search trained at once, each in its own process with an equal share of the cores; 0 is one per core",
			integer(), func(c *Config) *int { return &c.Jobs.SearchParallel }, between(0, 256)),
		field("jobs.search_memory", "4GiB", "8GiB", "memory the trials of one search may use together: at most this over jobs.train_memory run at once",
			size(), func(c *Config) *int64 { return &c.Jobs.SearchMemory }, moreThan(64<<20, "64MiB")),

		field("worker.concurrency", "4", "8", "jobs a worker runs at once",
			integer(), func(c *Config) *int { return &c.Worker.Concurrency }, atLeast(1)),
		queueWeight(model.JobTrain, "1", "3"),
		queueWeight(model.JobScore, "2", "5"),
		dur("worker.shutdown_timeout", "25s", "40s", "time running jobs get to finish on shutdown before they are requeued",
			func(c *Config) *time.Duration { return &c.Worker.ShutdownTimeout }),
		field("worker.dataset_cache", "0", "2GiB", "local disk for copies of the datasets a worker scores and trains on; 0 reads them from MongoDB each time",
			size(), func(c *Config) *int64 { return &c.Worker.DatasetCache }),
		dur("worker.cancel_poll", "2s", "500ms", "how often a running job checks whether it was canceled",
			func(c *Config) *time.Duration { return &c.Worker.CancelPoll }),

		field("auth.enabled", "true", "false", "require an API key on every route but health checks",
			boolean(), func(c *Config) *bool { return &c.Auth.Enabled }),
		field("auth.keys", "", "ci:"+strings.Repeat("0f", 32)+":predict+read",
			"accepted API keys, comma-separated name:sha256hex:scope[+scope] (scopes: predict, read, admin; see mlserve keygen)",
			apiKeys(), func(c *Config) *[]APIKey { return &c.Auth.Keys }),

		field("cache.bytes", "256MiB", "64MiB", "memory for loaded models in the API",
			size(), func(c *Config) *int64 { return &c.Cache.Bytes }, positive[int64]),
		dur("cache.refresh", "5s", "30s", "how often the API resolves its models' aliases again, in case it missed a change notice",
			func(c *Config) *time.Duration { return &c.Cache.Refresh }),

		field("log.level", "info", "debug", "debug, info, warn or error",
			enum("debug", "info", "warn", "error"), func(c *Config) *string { return &c.Log.Level }),
		field("log.format", "json", "text", "json or text",
			enum("json", "text"), func(c *Config) *string { return &c.Log.Format }),
		field("log.access", "true", "false", "the API's access log: a line per request (at level info; 5xx and failed writes at error)",
			boolean(), func(c *Config) *bool { return &c.Log.Access }),

		field("metrics.enabled", "true", "false", "count requests, predictions, loads and jobs, and serve them at /metrics",
			boolean(), func(c *Config) *bool { return &c.Metrics.Enabled }),
		field("metrics.model_labels", "true", "false", "label the prediction metrics by model and version; off for very many models",
			boolean(), func(c *Config) *bool { return &c.Metrics.ModelLabels }),
		field("ops.addr", ":9090", "127.0.0.1:9191", "the worker's operations listener (/healthz, /readyz, /metrics); empty for none",
			str(), func(c *Config) *string { return &c.Ops.Addr }, optional(hostPort)),

		field("dev.data_dir", "./data", "/var/lib/mlserve", "mlserve-dev only: where the embedded MongoDB keeps its files",
			str(), func(c *Config) *string { return &c.Dev.DataDir }),
	}
}

// field makes a key stored in the Config field f points at.
func field[T any](name, def, example, usage string, k kind[T], f func(*Config) *T, checks ...func(T) error) key {
	return bind(name, def, example, usage, k,
		func(c *Config) T { return *f(c) }, func(c *Config, v T) { *f(c) = v }, checks...)
}

// queueWeight makes the key worker.queues.<t>: a map entry has no address,
// so it binds through get and set.
func queueWeight(t model.JobType, def, example string) key {
	return bind("worker.queues."+string(t), def, example, "priority weight of the "+string(t)+" queue", integer(),
		func(c *Config) int { return c.Worker.Queues[string(t)] },
		func(c *Config, v int) {
			if c.Worker.Queues == nil {
				c.Worker.Queues = make(map[string]int)
			}
			c.Worker.Queues[string(t)] = v
		},
		atLeast(1))
}

func bind[T any](name, def, example, usage string, k kind[T], get func(*Config) T, set func(*Config, T), checks ...func(T) error) key {
	return key{
		Key: Key{
			Name: name, Env: envName(name), Flag: flagName(name),
			Type: k.name, Default: def, Usage: usage, Secret: k.secret,
		},
		example: example,
		load: func(c *Config, raw any) error {
			v, err := k.parse(raw)
			if err != nil {
				return err
			}
			for _, check := range checks {
				if err := check(v); err != nil {
					return err
				}
			}
			set(c, v)
			return nil
		},
		show: func(c *Config) any { return k.show(get(c)) },
	}
}

// EnvPrefix starts the environment variable of every key.
const EnvPrefix = "MLSERVE_"

// envName is the environment variable of a key: a.b_c → MLSERVE_A_B_C.
func envName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// flagName is the flag of a key: a.b_c → a-b-c.
func flagName(key string) string {
	return strings.NewReplacer(".", "-", "_", "-").Replace(key)
}
