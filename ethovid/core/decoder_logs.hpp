#pragma once
// FFmpeg and OpenCV print their own lines on stderr (`[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55...] moov
// atom not found`, `[ WARN:0@0.1] global cap_ffmpeg_impl.hpp ...`). Our typed errors already say
// what went wrong in one line, so those lines only break that promise.
namespace ethovid::core {

// Silences them, once per process, before the first decoder is opened. Through the switches
// OpenCV 4.6 supports: OPENCV_FFMPEG_LOGLEVEL (read when its FFmpeg backend first starts; -8 is
// AV_LOG_QUIET) and cv::utils::logging::setLogLevel. A user who sets OPENCV_FFMPEG_LOGLEVEL,
// OPENCV_FFMPEG_DEBUG or OPENCV_LOG_LEVEL to debug a file keeps what they asked for.
void silence_decoder_logs();

}  // namespace ethovid::core
