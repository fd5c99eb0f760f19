#pragma once
// The control server's page (GET /ui): one self-contained HTML document with its style and
// script inline, so the UI works with no network beyond this machine (no CDN, no fonts).
// It reads GET /status about four times a second, GET /events (SSE) for interventions, shows
// GET /stream as an <img>, and posts the buttons' commands with a JSON body. A token in the
// page's own URL (?token=...) is added to each of its requests.
#include <string_view>

namespace ethovid::focus {

std::string_view ui_page_html();

}  // namespace ethovid::focus
