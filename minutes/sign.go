package minutes

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
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

// LoadSigner reads a PEM certificate (the signer's first, then any
// intermediates, which are ignored here) and its PEM private key (PKCS#8,
// PKCS#1 or SEC 1), for Service.Signer and Service.Certificate.
func LoadSigner(certFile, keyFile string) (crypto.Signer, *x509.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, nil, fmt.Errorf("minutes: signing certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("minutes: signing key: %w", err)
	}
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, nil, fmt.Errorf("minutes: %s holds no PEM certificate", certFile)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("minutes: signing certificate: %w", err)
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return nil, nil, fmt.Errorf("minutes: %s holds no PEM key", keyFile)
	}
	var key any
	if key, err = x509.ParsePKCS8PrivateKey(kb.Bytes); err != nil {
		if key, err = x509.ParsePKCS1PrivateKey(kb.Bytes); err != nil {
			if key, err = x509.ParseECPrivateKey(kb.Bytes); err != nil {
				return nil, nil, fmt.Errorf("minutes: %s: unsupported private key", keyFile)
			}
		}
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("minutes: %s: key cannot sign", keyFile)
	}
	pub, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, nil, fmt.Errorf("minutes: the signing key does not match the certificate")
	}
	return signer, cert, nil
}
