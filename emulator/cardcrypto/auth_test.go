package cardcrypto

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

func TestExternalAuthCryptogram(t *testing.T) {
	tests := []struct {
		a         Alg
		challenge []byte
	}{
		{Alg3DES, seq(1, 4)},
		{Alg3DES, seq(1, 8)},
		{AlgSM4, seq(1, 4)},
		{AlgSM4, seq(1, 8)},
		{AlgSM4, seq(1, 16)},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v/%d", tt.a, len(tt.challenge)), func(t *testing.T) {
			got, err := ExternalAuthCryptogram(tt.a, key16a, tt.challenge)
			if err != nil {
				t.Fatal(err)
			}
			block := make([]byte, tt.a.BlockSize())
			copy(block, tt.challenge)
			want, err := EncryptECB(tt.a, key16a, block)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("cryptogram = %X, want %X", got, want)
			}
		})
	}
}

func TestExternalAuthCryptogramHostile(t *testing.T) {
	tests := []struct {
		name      string
		a         Alg
		key       []byte
		challenge []byte
		want      error
	}{
		{"empty challenge", AlgSM4, key16a, nil, ErrBlockSize},
		{"5 byte challenge", AlgSM4, key16a, make([]byte, 5), ErrBlockSize},
		{"12 byte challenge", AlgSM4, key16a, make([]byte, 12), ErrBlockSize},
		{"32 byte challenge", AlgSM4, key16a, make([]byte, 32), ErrBlockSize},
		{"16 byte challenge on 3des", Alg3DES, key16a, make([]byte, 16), ErrBlockSize},
		{"bad alg", 0x00, key16a, make([]byte, 8), ErrAlg},
		{"short key", AlgSM4, key16a[:10], make([]byte, 8), ErrKeySize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c, err := ExternalAuthCryptogram(tt.a, tt.key, tt.challenge); !errors.Is(err, tt.want) || c != nil {
				t.Fatalf("ExternalAuthCryptogram = %X, %v; want %v", c, err, tt.want)
			}
		})
	}
}

func TestInternalAuthResponse(t *testing.T) {
	body := unhex(t, "0114F199D286DF7E 1122334455667788") // factor || random
	sm4Want, err := EncryptECB(AlgSM4, key16a, body)
	if err != nil {
		t.Fatal(err)
	}
	desWant, err := EncryptECB(Alg3DES, key16a, body[8:])
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		a    Alg
		data []byte
		want []byte
	}{
		{"sm4 whole body", AlgSM4, body, sm4Want},
		{"3des random only", Alg3DES, body[8:], desWant},
		{"3des body uses last 8", Alg3DES, body, desWant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := InternalAuthResponse(tt.a, key16a, tt.data)
			if err != nil || !bytes.Equal(got, tt.want) {
				t.Fatalf("InternalAuthResponse = %X, %v; want %X", got, err, tt.want)
			}
		})
	}
}

func TestInternalAuthResponseHostile(t *testing.T) {
	tests := []struct {
		name string
		a    Alg
		key  []byte
		data []byte
		want error
	}{
		{"sm4 8 bytes", AlgSM4, key16a, make([]byte, 8), ErrBlockSize},
		{"sm4 empty", AlgSM4, key16a, nil, ErrBlockSize},
		{"sm4 32 bytes", AlgSM4, key16a, make([]byte, 32), ErrBlockSize},
		{"3des 12 bytes", Alg3DES, key16a, make([]byte, 12), ErrBlockSize},
		{"3des 24 bytes", Alg3DES, key16a, make([]byte, 24), ErrBlockSize},
		{"3des 7 bytes", Alg3DES, key16a, make([]byte, 7), ErrBlockSize},
		{"bad alg", 0x02, key16a, make([]byte, 16), ErrAlg},
		{"long key", AlgSM4, append(key16a, 0), make([]byte, 16), ErrKeySize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r, err := InternalAuthResponse(tt.a, tt.key, tt.data); !errors.Is(err, tt.want) || r != nil {
				t.Fatalf("InternalAuthResponse = %X, %v; want %v", r, err, tt.want)
			}
		})
	}
}
