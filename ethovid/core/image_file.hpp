#pragma once
// Still images: whatever OpenCV's imread decodes, plus formats only FFmpeg knows (GIF, as in the
// Yale faces), read as the first frame through OpenCV's FFmpeg backend.
#include <filesystem>

#include <opencv2/core.hpp>

namespace ethovid::core {

// 8-bit BGR image. MissingInputError when the file does not exist; FormatError (naming the file)
// when nothing can decode it.
cv::Mat read_image(const std::filesystem::path& path);

// True for the file extensions read_image is meant for (jpg, jpeg, png, pgm, ppm, bmp, gif, tif,
// tiff, webp; any case).
bool is_image_file(const std::filesystem::path& path);

}  // namespace ethovid::core
