package meetings

import (
	"bytes"
	"fmt"
	"testing"
)

// The count is the same however the stream is cut into chunks, including cuts
// inside a marker.
func TestPageCounterChunking(t *testing.T) {
	var pdf bytes.Buffer
	pdf.WriteString("%PDF-1.4\n2 0 obj\n<< /Type\n/Pages /Kids [3 0 R] /Count 9 >>\nendobj\n")
	for i := 0; i < 7; i++ {
		fmt.Fprintf(&pdf, "%d 0 obj << /Type /Page /Parent 2 0 R >> endobj\n%s\n", i+3, bytes.Repeat([]byte("x"), 300+i*37))
	}
	data := pdf.Bytes()
	for _, chunk := range []int{1, 2, 3, 5, 7, 64, 255, 256, 257, 1000, len(data)} {
		pc := &pageCounter{}
		for i := 0; i < len(data); i += chunk {
			part := data[i:min(len(data), i+chunk)]
			if n, err := pc.Write(part); n != len(part) || err != nil {
				t.Fatalf("Write returned %d, %v for %d bytes", n, err, len(part))
			}
		}
		if pc.objects != 7 || pc.maxCount != 9 || pc.Pages() != 9 {
			t.Errorf("chunk %d: objects %d, count %d", chunk, pc.objects, pc.maxCount)
		}
	}
}
