// hostmail: one program, many commands (see `hostmail --help`).

#include <cstdio>
#include <exception>

#include "admin/cli/cli.h"
#include "app/deliver_command.h"
#include "app/serve.h"
#include "base/sysexits.h"

int main(int argc, char** argv) {
  // Exceptions stop at this line: components return hm::Result, but a
  // library may still throw at start-up (std::bad_alloc, say).
  try {
    return hm::admin::cli::run(argc, argv, {hm::app::serve, hm::app::deliver});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hostmail: fatal: %s\n", e.what());
    return hm::sysexits::kSoftware;
  }
}
