package model

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// redisStream is a valid Redis → Redis definition before Defaults.
func redisStream() Stream {
	return Stream{Name: "iris-live", Model: "iris", Alias: "production",
		Source: StreamSource{Type: StreamRedis, Stream: "iris:in", Group: "mlserve"},
		Sink:   StreamSink{Type: StreamRedis, Stream: "iris:out"}}
}

// kafkaStream is a valid Kafka → Kafka definition before Defaults.
func kafkaStream() Stream {
	return Stream{Name: "iris-kafka", Model: "iris", Version: 3,
		Source: StreamSource{Type: StreamKafka, Brokers: []string{"localhost:9092"}, Topic: "iris-in", Group: "mlserve"},
		Sink:   StreamSink{Type: StreamKafka, Topic: "iris-out"}}
}

func TestStreamDefaults(t *testing.T) {
	s := redisStream()
	s.Defaults()
	if s.Start != StartEarliest || s.State != StreamRunning || s.DeadLetter.Stream != "iris:in:dlq" ||
		s.Batch != (StreamBatch{MaxRecords: DefaultStreamBatchRecords, MaxWaitMS: DefaultStreamBatchWaitMS}) {
		t.Fatalf("redis defaults: %+v", s)
	}
	k := kafkaStream()
	k.Defaults()
	if k.DeadLetter != (StreamDeadLetter{Topic: "iris-in-dlq"}) {
		t.Fatalf("kafka dead letter defaults to %+v, want topic iris-in-dlq", k.DeadLetter)
	}
	given := redisStream()
	given.DeadLetter.Stream, given.Start, given.Batch = "bad:records", StartLatest, StreamBatch{MaxRecords: 5, MaxWaitMS: 7}
	given.Defaults()
	if given.DeadLetter.Stream != "bad:records" || given.Start != StartLatest || given.Batch.MaxRecords != 5 || given.Batch.MaxWaitMS != 7 {
		t.Fatalf("defaults overwrote what was given: %+v", given)
	}
}

func TestStreamValid(t *testing.T) {
	tests := []struct {
		name   string
		base   func() Stream
		edit   func(*Stream)
		fields []string // the fields at fault; none means valid
	}{
		{"a redis to redis stream is valid", redisStream, func(*Stream) {}, nil},
		{"a kafka to kafka stream is valid", kafkaStream, func(*Stream) {}, nil},
		{"a redis source may write to mongo", redisStream, func(s *Stream) { s.Sink = StreamSink{Type: StreamMongo, Collection: "iris_scored"} }, nil},
		{"a kafka source may write to mongo", kafkaStream, func(s *Stream) { s.Sink = StreamSink{Type: StreamMongo, Collection: "iris_scored"} }, nil},
		{"a stream needs a name", redisStream, func(s *Stream) { s.Name = "" }, []string{"name"}},
		{"a name with capitals is refused", redisStream, func(s *Stream) { s.Name = "Iris" }, []string{"name"}},
		{"a stream needs a model", redisStream, func(s *Stream) { s.Model = "" }, []string{"model"}},
		{"alias and version together are refused", redisStream, func(s *Stream) { s.Version = 2 }, []string{"alias"}},
		{"neither alias nor version is refused", redisStream, func(s *Stream) { s.Alias = "" }, []string{"alias"}},
		{"a negative version is refused", kafkaStream, func(s *Stream) { s.Version = -1 }, []string{"version"}},
		{"an unknown source type is named", redisStream, func(s *Stream) { s.Source.Type = "nats" }, []string{"source.type"}},
		{"a missing source type is named", redisStream, func(s *Stream) { s.Source.Type = "" }, []string{"source.type"}},
		{"a redis stream with a space is refused", redisStream, func(s *Stream) { s.Source.Stream = "iris in" }, []string{"source.stream"}},
		{"a redis source needs a stream", redisStream, func(s *Stream) { s.Source.Stream = "" }, []string{"source.stream"}},
		{"a bad dead letter is named beside a bad source", redisStream, func(s *Stream) {
			s.Source.Stream, s.DeadLetter.Stream = "a b", "c d"
		}, []string{"dead_letter.stream", "source.stream"}},
		{"a kafka source needs a topic", kafkaStream, func(s *Stream) { s.Source.Topic = "" }, []string{"source.topic"}},
		{"a redis source needs a group", redisStream, func(s *Stream) { s.Source.Group = "" }, []string{"source.group"}},
		{"a redis source with brokers is refused", redisStream, func(s *Stream) { s.Source.Brokers = []string{"h:1"} }, []string{"source"}},
		{"a kafka topic with a colon is refused", kafkaStream, func(s *Stream) { s.Source.Topic = "iris:in" }, []string{"source.topic"}},
		{"a kafka topic of dots is refused", kafkaStream, func(s *Stream) { s.Source.Topic = ".." }, []string{"source.topic"}},
		{"a kafka source needs brokers", kafkaStream, func(s *Stream) { s.Source.Brokers = nil }, []string{"source.brokers"}},
		{"too many brokers are refused", kafkaStream, func(s *Stream) {
			s.Source.Brokers = slices.Repeat([]string{"h:9092"}, MaxStreamBrokers+1)
		}, []string{"source.brokers"}},
		{"a broker without a port is named by its index", kafkaStream, func(s *Stream) { s.Source.Brokers = []string{"h:9092", "h2"} }, []string{"source.brokers[1]"}},
		{"a broker with port 0 is refused", kafkaStream, func(s *Stream) { s.Source.Brokers = []string{"h:0"} }, []string{"source.brokers[0]"}},
		{"a kafka source with a stream is refused", kafkaStream, func(s *Stream) { s.Source.Stream = "x" }, []string{"source.stream"}},
		{"a redis source cannot write to kafka", redisStream, func(s *Stream) { s.Sink = StreamSink{Type: StreamKafka, Topic: "out"} }, []string{"sink.type"}},
		{"a kafka source cannot write to redis", kafkaStream, func(s *Stream) { s.Sink = StreamSink{Type: StreamRedis, Stream: "out"} }, []string{"sink.type"}},
		{"a sink into the source is refused", redisStream, func(s *Stream) { s.Sink.Stream = "iris:in" }, []string{"sink.stream"}},
		{"a sink into the dead letters is refused", kafkaStream, func(s *Stream) { s.Sink.Topic = "iris-in-dlq" }, []string{"sink.topic"}},
		{"dead letters into the source are refused", redisStream, func(s *Stream) { s.DeadLetter.Stream = "iris:in" }, []string{"dead_letter.stream"}},
		{"a redis source's dead letters go to a stream", redisStream, func(s *Stream) { s.DeadLetter.Topic = "dlq" }, []string{"dead_letter.stream", "dead_letter.topic"}},
		{"a mongo sink needs a collection", redisStream, func(s *Stream) { s.Sink = StreamSink{Type: StreamMongo} }, []string{"sink.collection"}},
		{"a mongo collection with a dot is refused", redisStream, func(s *Stream) { s.Sink = StreamSink{Type: StreamMongo, Collection: "system.users"} }, []string{"sink.collection"}},
		{"a mongo sink with a stream is refused", redisStream, func(s *Stream) { s.Sink = StreamSink{Type: StreamMongo, Collection: "c", Stream: "x"} }, []string{"sink"}},
		{"a redis sink with a collection is refused", redisStream, func(s *Stream) { s.Sink.Collection = "c" }, []string{"sink"}},
		{"a kafka sink with a stream is refused", kafkaStream, func(s *Stream) { s.Sink.Stream = "x" }, []string{"sink"}},
		{"an unknown sink type is named", redisStream, func(s *Stream) { s.Sink.Type = "s3" }, []string{"sink.type"}},
		{"too large a batch is refused", redisStream, func(s *Stream) { s.Batch.MaxRecords = MaxStreamBatchRecords + 1 }, []string{"batch.max_records"}},
		{"a negative wait is refused", redisStream, func(s *Stream) { s.Batch.MaxWaitMS = -1 }, []string{"batch.max_wait_ms"}},
		{"too long a wait is refused", redisStream, func(s *Stream) { s.Batch.MaxWaitMS = MaxStreamBatchWaitMS + 1 }, []string{"batch.max_wait_ms"}},
		{"an unknown start is named", redisStream, func(s *Stream) { s.Start = "now" }, []string{"start"}},
		{"an unknown state is named", redisStream, func(s *Stream) { s.State = "stopped" }, []string{"state"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.base()
			tt.edit(&s)
			s.Defaults()
			err := s.Valid()
			var got []string
			if err != nil {
				if ErrorCode(err) != CodeInvalid {
					t.Fatalf("Valid = %v, want a CodeInvalid error", err)
				}
				fields := err.(*Error).Fields
				got = slices.Sorted(maps.Keys(fields))
				for f, msg := range fields {
					if strings.TrimSpace(msg) == "" {
						t.Errorf("field %s has no message", f)
					}
				}
			}
			want := slices.Sorted(slices.Values(tt.fields))
			if !slices.Equal(got, want) {
				t.Fatalf("fields at fault = %v, want %v (err: %v)", got, want, err)
			}
		})
	}
}
