package mongo

import (
	"sync"

	"github.com/klauspost/compress/zstd"
)

// New files in the segmented layout store each chunk compressed on its
// own with zstd, and say so in their files document (chunk_encoding). A
// chunk still holds chunkSize bytes of the file, so a range read finds its
// chunks as before and decompresses only those. What a server stores,
// sends and decodes shrinks with the data's ratio, several times for CSV:
// on FerretDB v1 (SQLite) each chunk's bytes go through JSON and base64 on
// every write and read, which is what a download's speed was made of.
// Files without chunk_encoding (model artifacts, files of earlier
// releases) hold their bytes as they are.

// chunkEncodingZstd is the chunk_encoding of a file whose chunks are each
// one zstd frame.
const chunkEncodingZstd = "zstd"

// chunkCodec compresses and decompresses chunks. Its encoder and decoder
// are safe for concurrent EncodeAll and DecodeAll, made once, on first
// use, and kept: each holds its state per concurrent call, a few MiB.
type chunkCodec struct {
	enc *zstd.Encoder
	dec *zstd.Decoder
}

// codec returns the process's chunk codec.
var codec = sync.OnceValue(func() *chunkCodec {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithLowerEncoderMem(true))
	if err != nil {
		panic(err) // the options are constants
	}
	// A chunk never decompresses to more than chunkSize: a frame that
	// says or makes more is corrupt, and never takes more memory.
	dec, err := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(chunkSize), zstd.WithDecoderLowmem(true))
	if err != nil {
		panic(err)
	}
	return &chunkCodec{enc: enc, dec: dec}
})

// encode appends chunk, compressed, to dst[:0].
func (c *chunkCodec) encode(dst, chunk []byte) []byte {
	return c.enc.EncodeAll(chunk, dst[:0])
}

// decode decompresses frame into dst[:0]. The reader checks the chunk's
// size, compressed or not.
func (c *chunkCodec) decode(dst, frame []byte) ([]byte, error) {
	return c.dec.DecodeAll(frame, dst[:0])
}
