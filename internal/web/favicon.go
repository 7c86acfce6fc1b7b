package web

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
)

// The icon, as in static/favicon.svg: a dark rounded square (the top bar's
// colour) holding a light blue ring, the "o" of opsdesk.
const (
	iconSize   = 32
	iconRadius = 7   // corner radius of the square
	iconRing   = 8.5 // radius of the ring's centre line
	iconStroke = 4.5 // width of the ring
	iconSample = 4   // samples per pixel and axis (anti-aliasing)
)

var (
	iconBack = color.NRGBA{0x17, 0x20, 0x2e, 0xff}
	iconFore = color.NRGBA{0x7f, 0xb0, 0xff, 0xff}
)

// faviconICO draws the icon at 32×32 and wraps the PNG in an ICO file
// (Vista and later read PNG entries), for clients that ask for
// /favicon.ico rather than follow <link rel=icon>.
func faviconICO() ([]byte, error) {
	img := image.NewNRGBA(image.Rect(0, 0, iconSize, iconSize))
	const n = iconSample * iconSample
	for y := range iconSize {
		for x := range iconSize {
			var r, g, b, a float64
			for sy := range iconSample {
				for sx := range iconSample {
					px := float64(x) + (float64(sx)+.5)/iconSample
					py := float64(y) + (float64(sy)+.5)/iconSample
					if !inRoundedSquare(px, py) {
						continue
					}
					c := iconBack
					if d := math.Hypot(px-iconSize/2, py-iconSize/2); math.Abs(d-iconRing) <= iconStroke/2 {
						c = iconFore
					}
					r, g, b, a = r+float64(c.R), g+float64(c.G), b+float64(c.B), a+1
				}
			}
			if a > 0 {
				img.SetNRGBA(x, y, color.NRGBA{uint8(r / a), uint8(g / a), uint8(b / a), uint8(255 * a / n)})
			}
		}
	}
	var pngData bytes.Buffer
	if err := png.Encode(&pngData, img); err != nil {
		return nil, err
	}
	var ico bytes.Buffer
	// ICONDIR: reserved, type 1 (icon), one image.
	_ = binary.Write(&ico, binary.LittleEndian, [3]uint16{0, 1, 1})
	// ICONDIRENTRY: width, height, colours, reserved, planes, bits per
	// pixel, size of the image data, its offset (6 + 16).
	ico.Write([]byte{iconSize, iconSize, 0, 0})
	_ = binary.Write(&ico, binary.LittleEndian, [2]uint16{1, 32})
	_ = binary.Write(&ico, binary.LittleEndian, [2]uint32{uint32(pngData.Len()), 22})
	ico.Write(pngData.Bytes())
	return ico.Bytes(), nil
}

func inRoundedSquare(x, y float64) bool {
	// Distance into the corner region, if any.
	cx := math.Max(math.Max(iconRadius-x, x-(iconSize-iconRadius)), 0)
	cy := math.Max(math.Max(iconRadius-y, y-(iconSize-iconRadius)), 0)
	return x >= 0 && y >= 0 && x <= iconSize && y <= iconSize && math.Hypot(cx, cy) <= iconRadius
}

// faviconHandler is GET /favicon.ico.
func (h *Handler) faviconHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w)
		hd := w.Header()
		hd.Set("Content-Type", "image/x-icon")
		hd.Set("Cache-Control", "public, max-age=604800") // a week: the URL has no version
		_, _ = w.Write(h.favicon)
	})
}
