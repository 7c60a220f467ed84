package model

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"time"
)

// Stream source, sink and start values (SPEC 4.7).
const (
	StreamRedis = "redis"
	StreamKafka = "kafka"
	StreamMongo = "mongo"

	StartEarliest = "earliest"
	StartLatest   = "latest"
)

// Stream states: what the definition asks for (running, paused) or what
// its consumers found (failed: none can score, the last error says why).
const (
	StreamRunning = "running"
	StreamPaused  = "paused"
	StreamFailed  = "failed"
)

// Batch bounds of a stream: a consumer holds one batch in flight.
const (
	DefaultStreamBatchRecords = 1000
	MaxStreamBatchRecords     = 10_000
	DefaultStreamBatchWaitMS  = 50
	MaxStreamBatchWaitMS      = 60_000
)

// MaxStreams bounds how many stream definitions the store keeps: each one
// costs every replica of the stream role a consumer.
const MaxStreams = 1000

// MaxStreamBrokers bounds a Kafka source's bootstrap brokers.
const MaxStreamBrokers = 16

// Stream is the definition of a stream (POST /v1/streams): records read
// from Source are scored by the model version that Alias or Version names
// at each batch and written to Sink; records that cannot be scored go to
// DeadLetter. Definitions live in MongoDB; the stream role runs them.
type Stream struct {
	Name         string           `json:"name" bson:"_id"`
	Model        string           `json:"model" bson:"model"`
	Alias        string           `json:"alias,omitempty" bson:"alias,omitempty"`
	Version      int              `json:"version,omitempty" bson:"version,omitempty"`
	Source       StreamSource     `json:"source" bson:"source"`
	Sink         StreamSink       `json:"sink" bson:"sink"`
	DeadLetter   StreamDeadLetter `json:"dead_letter" bson:"dead_letter"`
	Batch        StreamBatch      `json:"batch" bson:"batch"`
	IncludeInput bool             `json:"include_input" bson:"include_input"`
	Start        string           `json:"start" bson:"start"`
	// State is StreamRunning or StreamPaused: what the definition asks of
	// the stream role.
	State     string    `json:"state" bson:"state"`
	CreatedAt time.Time `json:"created_at" bson:"created_at"`
	UpdatedAt time.Time `json:"updated_at" bson:"updated_at"`
}

// StreamSource is where a stream reads: a Redis stream through a consumer
// group, or a Kafka topic through a consumer group.
type StreamSource struct {
	Type    string   `json:"type" bson:"type"`
	Stream  string   `json:"stream,omitempty" bson:"stream,omitempty"`   // redis
	Brokers []string `json:"brokers,omitempty" bson:"brokers,omitempty"` // kafka
	Topic   string   `json:"topic,omitempty" bson:"topic,omitempty"`     // kafka
	Group   string   `json:"group" bson:"group"`
}

// StreamSink is where a stream writes its scored records.
type StreamSink struct {
	Type       string `json:"type" bson:"type"`
	Stream     string `json:"stream,omitempty" bson:"stream,omitempty"`         // redis
	Topic      string `json:"topic,omitempty" bson:"topic,omitempty"`           // kafka
	Collection string `json:"collection,omitempty" bson:"collection,omitempty"` // mongo
}

// StreamDeadLetter is where records that cannot be scored go, in the
// source's system: a Redis stream or a Kafka topic.
type StreamDeadLetter struct {
	Stream string `json:"stream,omitempty" bson:"stream,omitempty"`
	Topic  string `json:"topic,omitempty" bson:"topic,omitempty"`
}

// StreamBatch bounds a batch: at most MaxRecords, waiting at most
// MaxWaitMS for more once one record is there.
type StreamBatch struct {
	MaxRecords int `json:"max_records" bson:"max_records"`
	MaxWaitMS  int `json:"max_wait_ms" bson:"max_wait_ms"`
}

// redisKeyPattern is what a Redis stream or group name of a stream
// definition may look like: printable, no spaces, as keys usually are.
var redisKeyPattern = regexp.MustCompile(`^[A-Za-z0-9:._{}/#@-]{1,200}$`)

// kafkaTopicPattern is Kafka's own rule for topic (and group) names.
var kafkaTopicPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)

// collectionPattern is what a MongoDB sink collection may be called; the
// store refuses its own collections besides.
var collectionPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,99}$`)

// Defaults fills what a stream request may leave out: the start
// (earliest), the batch bounds, the state (running) and the dead letter
// (the source's name with ":dlq", or "-dlq" for a topic).
func (s *Stream) Defaults() {
	if s.Start == "" {
		s.Start = StartEarliest
	}
	if s.Batch.MaxRecords == 0 {
		s.Batch.MaxRecords = DefaultStreamBatchRecords
	}
	if s.Batch.MaxWaitMS == 0 {
		s.Batch.MaxWaitMS = DefaultStreamBatchWaitMS
	}
	if s.State == "" {
		s.State = StreamRunning
	}
	switch {
	case s.Source.Type == StreamRedis && s.DeadLetter == (StreamDeadLetter{}) && s.Source.Stream != "":
		s.DeadLetter.Stream = s.Source.Stream + ":dlq"
	case s.Source.Type == StreamKafka && s.DeadLetter == (StreamDeadLetter{}) && s.Source.Topic != "":
		s.DeadLetter.Topic = s.Source.Topic + "-dlq"
	}
}

// Valid checks a stream definition's shape, after Defaults: every problem
// is a field of the request. Whether the model and alias exist, and
// whether the sink collection is free, is checked against the stores.
func (s *Stream) Valid() error {
	p := map[string]string{}
	if !ValidName(s.Name) {
		p["name"] = "required, must match [a-z0-9][a-z0-9_.-]{0,62}"
	}
	if !ValidName(s.Model) {
		p["model"] = "required, must match [a-z0-9][a-z0-9_.-]{0,62}"
	}
	switch {
	case s.Alias != "" && s.Version != 0:
		p["alias"] = "give alias or version, not both"
	case s.Alias == "" && s.Version == 0:
		p["alias"] = "required: the alias (or the version) whose model scores the stream"
	case s.Alias != "" && !ValidName(s.Alias):
		p["alias"] = "must match [a-z0-9][a-z0-9_.-]{0,62}"
	case s.Version < 0:
		p["version"] = "must be positive"
	}
	s.validSource(p)
	s.validSink(p)
	if s.Batch.MaxRecords < 1 || s.Batch.MaxRecords > MaxStreamBatchRecords {
		p["batch.max_records"] = fmt.Sprintf("must be 1 to %d", MaxStreamBatchRecords)
	}
	if s.Batch.MaxWaitMS < 1 || s.Batch.MaxWaitMS > MaxStreamBatchWaitMS {
		p["batch.max_wait_ms"] = fmt.Sprintf("must be 1 to %d", MaxStreamBatchWaitMS)
	}
	if s.Start != StartEarliest && s.Start != StartLatest {
		p["start"] = fmt.Sprintf("unknown start %q (want earliest or latest)", s.Start)
	}
	if s.State != StreamRunning && s.State != StreamPaused {
		p["state"] = fmt.Sprintf("unknown state %q (want running or paused)", s.State)
	}
	return Invalid(p)
}

func (s *Stream) validSource(p map[string]string) {
	src := s.Source
	switch src.Type {
	case StreamRedis:
		checkName(p, "source.stream", src.Stream, redisKeyPattern)
		checkName(p, "source.group", src.Group, redisKeyPattern)
		if src.Topic != "" || len(src.Brokers) > 0 {
			p["source"] = "a redis source has stream and group, not topic or brokers"
		}
		// A dead letter missing or named after a bad source is the
		// source's problem.
		if _, bad := p["source.stream"]; !bad || (s.DeadLetter.Stream != "" && s.DeadLetter.Stream != src.Stream+":dlq") {
			checkName(p, "dead_letter.stream", s.DeadLetter.Stream, redisKeyPattern)
		}
		if s.DeadLetter.Topic != "" {
			p["dead_letter.topic"] = "a redis source's dead letters go to a redis stream"
		}
	case StreamKafka:
		checkName(p, "source.topic", src.Topic, kafkaTopicPattern)
		checkName(p, "source.group", src.Group, kafkaTopicPattern)
		switch {
		case len(src.Brokers) == 0:
			p["source.brokers"] = "required: at least one host:port"
		case len(src.Brokers) > MaxStreamBrokers:
			p["source.brokers"] = fmt.Sprintf("at most %d", MaxStreamBrokers)
		default:
			for i, b := range src.Brokers {
				if !validBroker(b) {
					p[fmt.Sprintf("source.brokers[%d]", i)] = "must be host:port, at most 255 characters"
				}
			}
		}
		if src.Stream != "" {
			p["source.stream"] = "a kafka source has a topic, not a stream"
		}
		if _, bad := p["source.topic"]; !bad || (s.DeadLetter.Topic != "" && s.DeadLetter.Topic != src.Topic+"-dlq") {
			checkName(p, "dead_letter.topic", s.DeadLetter.Topic, kafkaTopicPattern)
		}
		if s.DeadLetter.Stream != "" {
			p["dead_letter.stream"] = "a kafka source's dead letters go to a kafka topic"
		}
	case "":
		p["source.type"] = "required: redis or kafka"
	default:
		p["source.type"] = fmt.Sprintf("unknown source %q (want redis or kafka)", src.Type)
	}
}

// validSink checks the sink: of the source's system, or MongoDB, since
// exactly once needs one atomic step across the output and the
// acknowledgement (or an output a duplicate cannot repeat).
func (s *Stream) validSink(p map[string]string) {
	sink, src := s.Sink, s.Source.Type
	if (sink.Type == StreamRedis || sink.Type == StreamKafka) && (src == StreamRedis || src == StreamKafka) && sink.Type != src {
		p["sink.type"] = fmt.Sprintf("a %s source writes to %s or mongo: exactly once needs the output and the source's acknowledgement in one atomic step", src, src)
	}
	switch sink.Type {
	case StreamRedis:
		checkName(p, "sink.stream", sink.Stream, redisKeyPattern)
		if sink.Stream != "" && (sink.Stream == s.Source.Stream || sink.Stream == s.DeadLetter.Stream) {
			p["sink.stream"] = "must differ from the source and the dead-letter stream"
		}
		if sink.Topic != "" || sink.Collection != "" {
			p["sink"] = "a redis sink has a stream, not a topic or collection"
		}
	case StreamKafka:
		checkName(p, "sink.topic", sink.Topic, kafkaTopicPattern)
		if sink.Topic != "" && (sink.Topic == s.Source.Topic || sink.Topic == s.DeadLetter.Topic) {
			p["sink.topic"] = "must differ from the source and the dead-letter topic"
		}
		if sink.Stream != "" || sink.Collection != "" {
			p["sink"] = "a kafka sink has a topic, not a stream or collection"
		}
	case StreamMongo:
		checkName(p, "sink.collection", sink.Collection, collectionPattern)
		if sink.Stream != "" || sink.Topic != "" {
			p["sink"] = "a mongo sink has a collection, not a stream or topic"
		}
	case "":
		p["sink.type"] = "required: redis, kafka or mongo"
	default:
		p["sink.type"] = fmt.Sprintf("unknown sink %q (want redis, kafka or mongo)", sink.Type)
	}
	if s.DeadLetter.Stream != "" && s.DeadLetter.Stream == s.Source.Stream {
		p["dead_letter.stream"] = "must differ from the source stream"
	}
	if s.DeadLetter.Topic != "" && s.DeadLetter.Topic == s.Source.Topic {
		p["dead_letter.topic"] = "must differ from the source topic"
	}
}

// validBroker reports whether b is host:port with a port from 1 to 65535.
func validBroker(b string) bool {
	if len(b) > 255 {
		return false
	}
	host, port, err := net.SplitHostPort(b)
	if err != nil || host == "" {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 1 && n <= 65535
}

// checkName records a problem with field unless value matches pattern.
func checkName(p map[string]string, field, value string, pattern *regexp.Regexp) {
	switch {
	case value == "":
		p[field] = "required"
	case !pattern.MatchString(value) || value == "." || value == "..":
		p[field] = "must match " + pattern.String() + ", and not be . or .."
	}
}

// StreamConsumer is what one consumer of a stream (a replica of the
// stream role) last reported, every few seconds: it backs the consumers,
// counts, version and last error of GET /v1/streams/{name}.
type StreamConsumer struct {
	Stream   string `json:"-" bson:"stream"`
	Consumer string `json:"name" bson:"consumer"`
	// Version is the model version that scored its last batch.
	Version   int    `json:"version,omitempty" bson:"version,omitempty"`
	In        int64  `json:"records_in" bson:"in"`
	Out       int64  `json:"records_out" bson:"out"`
	Dead      int64  `json:"records_dead_lettered" bson:"dead"`
	LastError string `json:"last_error,omitempty" bson:"last_error,omitempty"`
	Failing   bool   `json:"failing" bson:"failing"` // it cannot score at all now
	// Lag is how many records of the source wait to be read, nil until
	// the consumer measures it: for Redis the group's lag (the same for
	// every consumer of the group), for Kafka that of the partitions
	// assigned to this consumer.
	Lag       *int64    `json:"lag" bson:"lag,omitempty"`
	UpdatedAt time.Time `json:"updated_at" bson:"updated_at"`
}

// StreamStore keeps stream definitions and what their consumers report.
type StreamStore interface {
	// CreateStream stores a new definition: CodeConflict when the name is
	// taken or MaxStreams are stored, CodeInvalid naming sink.collection
	// when a mongo sink would write into one of the store's own
	// collections.
	CreateStream(ctx context.Context, s *Stream) error
	// Stream returns a definition: CodeNotFound when there is none.
	Stream(ctx context.Context, name string) (*Stream, error)
	// ListStreams returns every definition, by name (at most MaxStreams).
	ListStreams(ctx context.Context) ([]Stream, error)
	// SetStreamState sets a definition's state (running or paused):
	// CodeNotFound when there is none.
	SetStreamState(ctx context.Context, name, state string, now time.Time) error
	// DeleteStream removes a definition and its consumers' reports, never
	// the user's data: CodeNotFound when there is none.
	DeleteStream(ctx context.Context, name string) error
	// ReportConsumer upserts what one consumer reports.
	ReportConsumer(ctx context.Context, c *StreamConsumer) error
	// StreamConsumers returns the reports of a stream's consumers.
	StreamConsumers(ctx context.Context, name string) ([]StreamConsumer, error)
}
