package s3emu

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"strings"
)

// checksumPrefix starts the header (or trailer) that carries a flexible checksum,
// x-amz-checksum-<algorithm>, whose value is the base64 of the big-endian digest.
const checksumPrefix = "x-amz-checksum-"

// crc64NVME is the reversed polynomial of CRC-64/NVME, the checksum S3 computes for an
// object uploaded without one (the SDK uses the same table).
var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

// algorithms are the flexible checksums S3 accepts on PutObject, by lower-case name, but the
// three XXHASH ones (not in the standard library; refused here).
var algorithms = map[string]func() hash.Hash{
	"crc32":     func() hash.Hash { return crc32.NewIEEE() },
	"crc32c":    func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) },
	"crc64nvme": func() hash.Hash { return crc64.New(crc64NVME) },
	"md5":       md5.New,
	"sha1":      sha1.New,
	"sha256":    sha256.New,
	"sha512":    sha512.New,
}

// notChecksums are x-amz-checksum-* headers that name no checksum.
var notChecksums = map[string]bool{"type": true, "mode": true, "algorithm": true}

// checksumAlgorithm returns the algorithm of a checksum header or trailer name, "" if the
// name is not one.
func checksumAlgorithm(name string) (alg string, isChecksum bool) {
	rest, ok := strings.CutPrefix(strings.ToLower(name), checksumPrefix)
	if !ok || notChecksums[rest] {
		return "", false
	}
	return rest, true
}

// digest returns the base64 checksum of data with algorithm alg (a key of algorithms).
func digest(alg string, data []byte) string {
	h := algorithms[alg]()
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// validDigest reports whether v is the base64 of a digest of algorithm alg.
func validDigest(alg, v string) bool {
	b, err := base64.StdEncoding.DecodeString(v)
	return err == nil && len(b) == algorithms[alg]().Size()
}

// md5Sum returns the MD5 of data, what S3 uses as the ETag of a single-part upload.
func md5Sum(data []byte) []byte {
	s := md5.Sum(data)
	return s[:]
}
