// GDCM behind a C function: one DICOM file in, its pixels and attributes out.
#include "CGDCM.h"

#include <gdcmImageReader.h>
#include <gdcmReader.h>
#include <gdcmTrace.h>
#include <gdcmUIDs.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

namespace {

void fail(char *error, size_t length, const std::string &reason) {
    std::snprintf(error, length, "%s", reason.c_str());
}

// The value of a string-valued attribute, without DICOM's trailing padding ("" when absent).
std::string tagString(const gdcm::DataSet &ds, uint16_t group, uint16_t element) {
    const gdcm::Tag tag(group, element);
    if (!ds.FindDataElement(tag)) return "";
    const gdcm::ByteValue *bv = ds.GetDataElement(tag).GetByteValue();
    if (!bv) return "";
    std::string s(bv->GetPointer(), bv->GetLength());
    while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
    while (!s.empty() && s.front() == ' ') s.erase(0, 1);
    return s;
}

// A decimal-string (DS) attribute's backslash-separated numbers; false unless exactly `count`.
bool tagNumbers(const gdcm::DataSet &ds, uint16_t group, uint16_t element, double *out, size_t count) {
    std::string s = tagString(ds, group, element);
    if (s.empty()) return false;
    std::stringstream parts(s);
    std::string part;
    size_t n = 0;
    while (std::getline(parts, part, '\\')) {
        if (n == count) return false;
        char *end = nullptr;
        out[n] = std::strtod(part.c_str(), &end);
        while (end && *end == ' ') end++;
        if (end == part.c_str() || (end && *end != '\0')) return false;
        n++;
    }
    return n == count;
}

void copyString(char *dst, size_t size, const std::string &s) {
    std::snprintf(dst, size, "%s", s.c_str());
}

// Stored values of any integer pixel type GDCM decodes, widened to int32 (exact for all of them).
bool widen(const std::vector<char> &buffer, const gdcm::PixelFormat &pf, int32_t *out, size_t count) {
    for (size_t i = 0; i < count; i++) {
        switch (pf.GetScalarType()) {
        case gdcm::PixelFormat::UINT8: out[i] = reinterpret_cast<const uint8_t *>(buffer.data())[i]; break;
        case gdcm::PixelFormat::INT8: out[i] = reinterpret_cast<const int8_t *>(buffer.data())[i]; break;
        case gdcm::PixelFormat::UINT12:
        case gdcm::PixelFormat::UINT16: out[i] = reinterpret_cast<const uint16_t *>(buffer.data())[i]; break;
        case gdcm::PixelFormat::INT12:
        case gdcm::PixelFormat::INT16: out[i] = reinterpret_cast<const int16_t *>(buffer.data())[i]; break;
        case gdcm::PixelFormat::INT32: out[i] = reinterpret_cast<const int32_t *>(buffer.data())[i]; break;
        default: return false;
        }
    }
    return true;
}

}  // namespace

extern "C" int cgdcm_read(const char *path, cgdcm_slice *slice, char *error, size_t errorLength) {
    std::memset(slice, 0, sizeof *slice);
    // Our one-line errors say what failed; GDCM's own multi-line traces on stderr would only clutter.
    gdcm::Trace::SetError(false);
    gdcm::Trace::SetWarning(false);
    gdcm::Trace::SetDebug(false);
    // The file meta first (up to the data set): a file whose transfer syntax GDCM does not know
    // or cannot decode is named by that syntax.
    gdcm::Reader header;
    header.SetFileName(path);
    header.ReadUpToTag(gdcm::Tag(0x0008, 0x0000));
    const std::string tsUID = tagString(header.GetFile().GetHeader(), 0x0002, 0x0010);
    gdcm::UIDs known;
    const bool named = !tsUID.empty() && known.SetFromUID(tsUID.c_str()) && known.GetName();
    copyString(slice->transferSyntax, sizeof slice->transferSyntax, tsUID);
    copyString(slice->transferSyntaxName, sizeof slice->transferSyntaxName, named ? known.GetName() : "unknown to GDCM");
    const bool decodable = gdcm::TransferSyntax::GetTSType(tsUID.c_str()) != gdcm::TransferSyntax::TS_END;
    if (!tsUID.empty() && !decodable) {
        fail(error, errorLength, "transfer syntax " + tsUID + " (" + slice->transferSyntaxName +
             ") is one GDCM cannot decode");
        return -1;
    }

    gdcm::ImageReader reader;
    reader.SetFileName(path);
    if (!reader.Read()) {
        fail(error, errorLength, tsUID.empty() ? std::string("not a DICOM file GDCM can read")
             : "GDCM cannot read the image of this file (transfer syntax " + tsUID + ", " + slice->transferSyntaxName + ")");
        return -1;
    }
    const gdcm::Image &image = reader.GetImage();
    const gdcm::DataSet &ds = reader.GetFile().GetDataSet();
    if (image.GetNumberOfDimensions() == 3 && image.GetDimension(2) > 1) {
        fail(error, errorLength, "a multi-frame image (" + std::to_string(image.GetDimension(2)) +
             " frames); one slice per file is supported");
        return -1;
    }
    const gdcm::PixelFormat pf = image.GetPixelFormat();
    if (pf.GetSamplesPerPixel() != 1) {
        fail(error, errorLength, "not a greyscale image (" + std::to_string(pf.GetSamplesPerPixel()) + " samples per pixel)");
        return -1;
    }
    slice->columns = int(image.GetDimension(0));
    slice->rows = int(image.GetDimension(1));
    std::vector<char> buffer(image.GetBufferLength());
    if (!image.GetBuffer(buffer.data())) {
        fail(error, errorLength, "GDCM cannot decode its pixel data (transfer syntax " + tsUID + ", " +
             slice->transferSyntaxName + ")");
        return -1;
    }
    const size_t count = size_t(slice->rows) * size_t(slice->columns);
    if (buffer.size() < count * size_t(pf.GetPixelSize())) {
        fail(error, errorLength, "pixel data shorter than its rows and columns");
        return -1;
    }
    if (!tagNumbers(ds, 0x0020, 0x0032, slice->position, 3)) {
        fail(error, errorLength, "no Image Position (Patient) (0020,0032) with 3 numbers");
        return -1;
    }
    if (!tagNumbers(ds, 0x0020, 0x0037, slice->orientation, 6)) {
        fail(error, errorLength, "no Image Orientation (Patient) (0020,0037) with 6 numbers");
        return -1;
    }
    if (!tagNumbers(ds, 0x0028, 0x0030, slice->pixelSpacing, 2)) {
        fail(error, errorLength, "no Pixel Spacing (0028,0030) with 2 numbers");
        return -1;
    }
    if (!tagNumbers(ds, 0x0028, 0x1053, &slice->slope, 1)) slice->slope = 1;
    if (!tagNumbers(ds, 0x0028, 0x1052, &slice->intercept, 1)) slice->intercept = 0;
    copyString(slice->seriesUID, sizeof slice->seriesUID, tagString(ds, 0x0020, 0x000E));

    slice->pixels = static_cast<int32_t *>(std::malloc(count * sizeof(int32_t)));
    if (!slice->pixels) {
        fail(error, errorLength, "out of memory for its pixels");
        return -1;
    }
    if (!widen(buffer, pf, slice->pixels, count)) {
        cgdcm_free(slice);
        std::ostringstream type;
        type << pf;
        fail(error, errorLength, "pixel type " + type.str() + " is not an integer type lits reads");
        return -1;
    }
    return 0;
}

extern "C" void cgdcm_free(cgdcm_slice *slice) {
    std::free(slice->pixels);
    slice->pixels = nullptr;
}
