// umigamed: the umigame daemon. Thin entry point; see daemon.cpp.
#include <cstdio>
#include <cstring>
#include <string>

#include "tools/umigamed/daemon.hpp"

namespace {
void usage() {
  std::fprintf(stderr, "usage: umigamed --config FILE\n       umigamed --version\n");
}
}  // namespace

int main(int argc, char** argv) {
  std::string config;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 || std::strcmp(argv[i], "-c") == 0) {
      if (i + 1 >= argc) {
        usage();
        return 1;
      }
      config = argv[++i];
    } else if (std::strncmp(argv[i], "--config=", 9) == 0) {
      config = argv[i] + 9;
    } else if (std::strcmp(argv[i], "--version") == 0) {
      std::printf("umigamed 0.1.0\n");
      return 0;
    } else {
      usage();
      return 1;
    }
  }
  if (config.empty()) {
    usage();
    return 1;
  }
  return umi::daemon::run(config);
}
