import CCairo
import Foundation
import LiTSCore

/// Text measured with Cairo's toy text API ("sans": DejaVu Sans through fontconfig on Debian).
public enum CairoText {
    public static func width(_ text: String, size: Double, bold: Bool) -> Double {
        guard !text.isEmpty else { return 0 }
        let surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1)
        let cr = cairo_create(surface)
        defer { cairo_destroy(cr); cairo_surface_destroy(surface) }
        select(cr, size: size, bold: bold)
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, text, &extents)
        return extents.x_advance
    }

    static func select(_ cr: OpaquePointer?, size: Double, bold: Bool) {
        cairo_select_font_face(cr, "sans", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, size)
    }
}

extension MontageFigure {
    public static let background = RGB(24, 24, 24)
    public static let textColor = RGB(235, 235, 235)

    /// Writes the figure as PNG, SVG or PDF, atomically (a failure leaves no file).
    public func write(to path: String, format: FigureFormat) throws {
        switch format {
        case .png: try PNG.write(rasterize(), to: path)
        case .svg, .pdf: try AtomicFile.write(try vector(format, path: path), to: path)
        }
    }

    /// The figure drawn into pixels (one pixel per layout unit).
    public func rasterize() -> RGBImage {
        let layout = MontageLayout(self)
        let (w, h) = (Int(layout.width), Int(layout.height))
        let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(w), Int32(h))
        defer { cairo_surface_destroy(surface) }
        let cr = cairo_create(surface)
        draw(cr, layout)
        cairo_destroy(cr)
        cairo_surface_flush(surface)
        // RGB24 pixels are 32-bit native-endian 0x00RRGGBB words.
        let stride = Int(cairo_image_surface_get_stride(surface))
        let data = cairo_image_surface_get_data(surface)!
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            let row = UnsafeRawPointer(data + y * stride).assumingMemoryBound(to: UInt32.self)
            for x in 0..<w {
                let p = row[x], o = 3 * (x + w * y)
                pixels[o] = UInt8((p >> 16) & 0xff); pixels[o + 1] = UInt8((p >> 8) & 0xff); pixels[o + 2] = UInt8(p & 0xff)
            }
        }
        return RGBImage(width: w, height: h, pixels: pixels)
    }

    /// SVG or PDF bytes, collected in memory so that the file is written atomically.
    func vector(_ format: FigureFormat, path: String) throws -> Data {
        let layout = MontageLayout(self)
        let sink = DataSink()
        let write: cairo_write_func_t = { closure, bytes, length in
            let sink = Unmanaged<DataSink>.fromOpaque(closure!).takeUnretainedValue()
            if let bytes { sink.data.append(bytes, count: Int(length)) }
            return CAIRO_STATUS_SUCCESS
        }
        let closure = Unmanaged.passUnretained(sink).toOpaque()
        let surface = format == .svg
            ? cairo_svg_surface_create_for_stream(write, closure, layout.width, layout.height)
            : cairo_pdf_surface_create_for_stream(write, closure, layout.width, layout.height)
        let cr = cairo_create(surface)
        draw(cr, layout)
        cairo_destroy(cr)
        cairo_surface_finish(surface)
        let status = cairo_surface_status(surface)
        cairo_surface_destroy(surface)
        return try withExtendedLifetime(sink) {
            guard status == CAIRO_STATUS_SUCCESS else {
                throw LiTSError(.notWritable, path: path, "Cairo cannot draw the figure: \(String(cString: cairo_status_to_string(status)))")
            }
            return sink.data
        }
    }

    func draw(_ cr: OpaquePointer?, _ layout: MontageLayout) {
        Self.setColor(cr, Self.background)
        cairo_paint(cr)
        for (tile, geometry) in zip(tiles, layout.tiles) { Self.drawTile(cr, tile, geometry, tileHeight: tileHeight) }
        for text in layout.rowLabels + layout.columnLabels { Self.show(cr, text, color: Self.textColor) }
        for item in layout.legend {
            let s = item.swatch
            if item.entry.style == .fill {
                // Over mid-grey, as the fill looks over soft tissue.
                Self.setColor(cr, RGB(128, 128, 128))
                cairo_rectangle(cr, s.x, s.y, s.width, s.height)
                cairo_fill(cr)
                Self.setColor(cr, item.entry.color, alpha: item.entry.alpha)
                cairo_rectangle(cr, s.x, s.y, s.width, s.height)
                cairo_fill(cr)
            } else {
                Self.setColor(cr, item.entry.color)
                cairo_set_line_width(cr, Self.contourWidth(tileHeight))
                cairo_rectangle(cr, s.x + 1.5, s.y + 1.5, s.width - 3, s.height - 3)
                cairo_stroke(cr)
            }
            Self.show(cr, item.label, color: Self.textColor)
        }
    }

    /// Contours 2 px wide at the default 256 px tile height, growing with the tile.
    static func contourWidth(_ tileHeight: Double) -> Double { max(2, tileHeight / 110) }

    static func drawTile(_ cr: OpaquePointer?, _ t: MontageTile, _ g: MontageLayout.Tile, tileHeight: Double) {
        let b = g.image
        let (sx, sy) = (b.width / Double(t.width), b.height / Double(t.height))
        cairo_save(cr)
        cairo_rectangle(cr, b.x, b.y, b.width, b.height)
        cairo_clip(cr)
        paintImage(cr, grayImage(t), box: b, scale: (sx, sy), smooth: sx < 1 || sy < 1)
        for layer in t.layers where layer.style == .fill {
            paintImage(cr, fillImage(layer, width: t.width, height: t.height), box: b, scale: (sx, sy), smooth: false)
        }
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_SQUARE)
        cairo_set_line_width(cr, contourWidth(tileHeight))
        for layer in t.layers where layer.style == .contour {
            setColor(cr, layer.color)
            for e in MaskOutline.edges(layer.mask, width: t.width, height: t.height) {
                cairo_move_to(cr, b.x + e.x0 * sx, b.y + e.y0 * sy)
                cairo_line_to(cr, b.x + e.x1 * sx, b.y + e.y1 * sy)
            }
            cairo_stroke(cr)
        }
        cairo_restore(cr)
        // The scale bar: white with a dark outline, readable on any anatomy.
        let bar = g.scaleBar
        if bar.width > 0 {
            cairo_rectangle(cr, bar.x, bar.y, bar.width, bar.height)
            setColor(cr, .white)
            cairo_fill_preserve(cr)
            setColor(cr, .black)
            cairo_set_line_width(cr, 1)
            cairo_stroke(cr)
        }
        for text in g.letters + [g.scaleLabel] { show(cr, text, color: .white, halo: true) }
        for text in g.captions { show(cr, text, color: textColor) }
    }

    static func setColor(_ cr: OpaquePointer?, _ c: RGB, alpha: Double = 1) {
        cairo_set_source_rgba(cr, Double(c.r) / 255, Double(c.g) / 255, Double(c.b) / 255, alpha)
    }

    /// Text at its baseline; `halo` outlines it in black so that it reads over the image.
    static func show(_ cr: OpaquePointer?, _ t: MontageLayout.Text, color: RGB, halo: Bool = false) {
        CairoText.select(cr, size: t.size, bold: t.bold)
        cairo_move_to(cr, t.x, t.y)
        if halo {
            cairo_text_path(cr, t.text)
            setColor(cr, .black)
            cairo_set_line_width(cr, 2.5)
            cairo_stroke_preserve(cr)
            setColor(cr, color)
            cairo_fill(cr)
        } else {
            setColor(cr, color)
            cairo_show_text(cr, t.text)
        }
    }

    static func grayImage(_ t: MontageTile) -> OpaquePointer? {
        image(width: t.width, height: t.height, format: CAIRO_FORMAT_RGB24) { i in
            let g = UInt32(t.gray[t.gray.startIndex + i])
            return g << 16 | g << 8 | g
        }
    }

    /// A fill as premultiplied ARGB: the layer's colour at its opacity inside the mask.
    static func fillImage(_ l: MontageLayer, width: Int, height: Int) -> OpaquePointer? {
        let a = l.alpha
        let pixel = UInt32((a * 255).rounded()) << 24 | UInt32((Double(l.color.r) * a).rounded()) << 16
            | UInt32((Double(l.color.g) * a).rounded()) << 8 | UInt32((Double(l.color.b) * a).rounded())
        return image(width: width, height: height, format: CAIRO_FORMAT_ARGB32) { l.mask[l.mask.startIndex + $0] != 0 ? pixel : 0 }
    }

    static func image(width: Int, height: Int, format: cairo_format_t, _ pixel: (Int) -> UInt32) -> OpaquePointer? {
        let surface = cairo_image_surface_create(format, Int32(width), Int32(height))
        cairo_surface_flush(surface)
        let stride = Int(cairo_image_surface_get_stride(surface))
        let data = cairo_image_surface_get_data(surface)!
        for y in 0..<height {
            let row = UnsafeMutableRawPointer(data + y * stride).assumingMemoryBound(to: UInt32.self)
            for x in 0..<width { row[x] = pixel(x + width * y) }
        }
        cairo_surface_mark_dirty(surface)
        return surface
    }

    /// Paints (and releases) `surface` scaled into `box`: nearest neighbour when enlarging, so
    /// voxels stay voxels and match the contours; Cairo's filter when shrinking.
    static func paintImage(_ cr: OpaquePointer?, _ surface: OpaquePointer?, box: MontageLayout.Box, scale: (Double, Double), smooth: Bool) {
        cairo_save(cr)
        cairo_translate(cr, box.x, box.y)
        cairo_scale(cr, scale.0, scale.1)
        cairo_set_source_surface(cr, surface, 0, 0)
        cairo_pattern_set_filter(cairo_get_source(cr), smooth ? CAIRO_FILTER_GOOD : CAIRO_FILTER_NEAREST)
        cairo_paint(cr)
        cairo_restore(cr)
        cairo_surface_destroy(surface)
    }
}

/// Collects what a Cairo vector surface writes.
final class DataSink {
    var data = Data()
}

/// The outline of a mask as the pixel edges between inside and outside (and the image border),
/// in pixel units; runs along a row or column are merged into one segment.
public enum MaskOutline {
    public struct Edge: Equatable, Sendable { public var x0, y0, x1, y1: Double }

    public static func edges(_ mask: Data, width w: Int, height h: Int) -> [Edge] {
        let bytes = [UInt8](mask)
        func inside(_ x: Int, _ y: Int) -> Bool { x >= 0 && y >= 0 && x < w && y < h && bytes[x + w * y] != 0 }
        var out: [Edge] = []
        // Horizontal edges: above row y (between rows y-1 and y).
        for y in 0...h {
            var start: Int? = nil
            for x in 0...w {
                let edge = x < w && inside(x, y) != inside(x, y - 1)
                if edge, start == nil { start = x }
                if !edge, let s = start { out.append(Edge(x0: Double(s), y0: Double(y), x1: Double(x), y1: Double(y))); start = nil }
            }
        }
        // Vertical edges: left of column x.
        for x in 0...w {
            var start: Int? = nil
            for y in 0...h {
                let edge = y < h && inside(x, y) != inside(x - 1, y)
                if edge, start == nil { start = y }
                if !edge, let s = start { out.append(Edge(x0: Double(x), y0: Double(s), x1: Double(x), y1: Double(y))); start = nil }
            }
        }
        return out
    }
}
