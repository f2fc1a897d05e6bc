#include "test_backends.h"

#include <stdlib.h>

#include <system_error>

#include "directory/memory/memory_directory.h"
#include "directory/sqlite/sqlite_directory.h"

namespace hm::directory::testing {

ScratchDir::ScratchDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "hm-directory-test-XXXXXX");
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  }
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::vector<BackendFactory> directory_backends() {
  return {
      BackendFactory{"memory",
                     [](const std::filesystem::path&) -> Result<std::unique_ptr<Directory>> {
                       return std::make_unique<memory::MemoryDirectory>();
                     },
                     {}},
      BackendFactory{
          "sqlite",
          [](const std::filesystem::path& scratch) -> Result<std::unique_ptr<Directory>> {
            auto opened = sqlite::SqliteDirectory::open((scratch / "directory.db").string(),
                                                        sqlite::OpenMode::kCreateIfMissing);
            if (!opened) return fail(std::move(opened).error());
            return std::unique_ptr<Directory>(std::move(*opened));
          },
          {}},
  };
}

}  // namespace hm::directory::testing
