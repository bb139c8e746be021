package minutes

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign/sign"
)

// Sign adds an approval signature (PKCS#7 detached, SHA-256) by cert's key to
// the PDF and returns the signed bytes: an incremental update, so the rendered
// bytes stay as they were, followed by the signature. No timestamp authority is
// contacted and no revocation data is fetched: signing never leaves the process.
func Sign(data []byte, signer crypto.Signer, cert *x509.Certificate, at time.Time) ([]byte, error) {
	rdr, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("minutes: sign: read pdf: %w", err)
	}
	var out bytes.Buffer
	err = sign.Sign(bytes.NewReader(data), &out, rdr, int64(len(data)), sign.SignData{
		Signature: sign.SignDataSignature{
			Info: sign.SignDataSignatureInfo{
				Name:   cert.Subject.CommonName,
				Reason: "Meeting minutes",
				Date:   at,
			},
			CertType:   sign.ApprovalSignature,
			DocMDPPerm: sign.AllowFillingExistingFormFieldsAndSignaturesPerms,
		},
		Signer:          signer,
		DigestAlgorithm: crypto.SHA256,
		Certificate:     cert,
	})
	if err != nil {
		return nil, fmt.Errorf("minutes: sign: %w", err)
	}
	return out.Bytes(), nil
}
