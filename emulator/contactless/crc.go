package contactless

// The CRCs of ISO/IEC 14443-3 §6.2.4 (Type A) and §7.2 (Type B), worked
// examples in its Annex B: CRC-16 with the ITU-T V.41 polynomial
// x^16 + x^12 + x^5 + 1, processed least significant bit first. CRC_A
// starts from 6363 and is sent as is; CRC_B starts from FFFF and is sent
// complemented. Both go on the air least significant byte first.

// crcTables are the byte-wise table of the reflected polynomial 8408 and
// its slicing-by-8 extensions: crcTables[k][b] is the CRC contribution of
// byte b followed by k zero bytes.
var crcTables = func() (t [8][256]uint16) {
	for i := range t[0] {
		c := uint16(i)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0x8408 // 0x1021 reflected
			} else {
				c >>= 1
			}
		}
		t[0][i] = c
	}
	for k := 1; k < 8; k++ {
		for i := range t[k] {
			c := t[k-1][i]
			t[k][i] = c>>8 ^ t[0][byte(c)]
		}
	}
	return t
}()

func crcUpdate(crc uint16, data []byte) uint16 {
	t := &crcTables
	for len(data) >= 8 {
		_ = data[7]
		crc ^= uint16(data[0]) | uint16(data[1])<<8
		crc = t[7][byte(crc)] ^ t[6][crc>>8] ^ t[5][data[2]] ^ t[4][data[3]] ^
			t[3][data[4]] ^ t[2][data[5]] ^ t[1][data[6]] ^ t[0][data[7]]
		data = data[8:]
	}
	if len(data) >= 4 {
		_ = data[3]
		crc ^= uint16(data[0]) | uint16(data[1])<<8
		crc = t[3][byte(crc)] ^ t[2][crc>>8] ^ t[1][data[2]] ^ t[0][data[3]]
		data = data[4:]
	}
	if len(data) >= 2 {
		crc ^= uint16(data[0]) | uint16(data[1])<<8
		crc = t[1][byte(crc)] ^ t[0][crc>>8]
		data = data[2:]
	}
	if len(data) == 1 {
		crc = crc>>8 ^ t[0][byte(crc)^data[0]]
	}
	return crc
}

// CRCA returns the CRC_A of data; its low byte is sent first.
func CRCA(data []byte) uint16 { return crcUpdate(0x6363, data) }

// CRCB returns the CRC_B of data; its low byte is sent first.
func CRCB(data []byte) uint16 { return ^crcUpdate(0xFFFF, data) }

// CRC returns the CRC of data for the type's frames.
func CRC(t Type, data []byte) uint16 {
	if t == TypeB {
		return CRCB(data)
	}
	return CRCA(data)
}

// AppendCRC appends to frame the CRC of its bytes, low byte first.
func AppendCRC(t Type, frame []byte) []byte {
	c := CRC(t, frame)
	return append(frame, byte(c), byte(c>>8))
}

// CheckCRC reports whether frame ends with a correct CRC and returns the
// bytes before it. A frame of fewer than 3 bytes never checks: every
// frame with a CRC has at least one byte before it.
func CheckCRC(t Type, frame []byte) ([]byte, bool) {
	n := len(frame)
	if n < 3 {
		return nil, false
	}
	body := frame[:n-2]
	c := CRC(t, body)
	return body, frame[n-2] == byte(c) && frame[n-1] == byte(c>>8)
}
