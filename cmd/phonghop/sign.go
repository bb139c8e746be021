package main

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
)

// loadSigner reads the PEM certificate and key that sign the minutes PDF.
func loadSigner(certFile, keyFile string) (crypto.Signer, *x509.Certificate, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, nil, err
	}
	signer, ok := pair.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, nil, errors.New("the key cannot sign")
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, nil, err
	}
	return signer, cert, nil
}
