# kestrel_vm: the VM core as a static library (no Node, no LLVM): loader, verifier, interpreter,
# storage pool, thread pool and the C API of include/kestrel_runtime.h. kestrel-run: the standalone
# runner on that API. Both build with -Wall -Wextra clean, also with an AArch64 cross compiler.
find_package(Threads REQUIRED)
add_library(kestrel_vm STATIC
  src/util/json.cc src/util/sha256.cc src/util/cpu_features.cc
  src/runtime/artifact_file.cc src/runtime/elf.cc src/runtime/elf_dynamic.cc src/runtime/manifest.cc
  src/runtime/map_verified.cc src/runtime/signature.cc src/runtime/inspect.cc src/runtime/runtime.cc
  src/runtime/debug.cc src/runtime/profile.cc
  src/vm/bytecode.cc src/vm/pool.cc src/vm/thread_pool.cc src/vm/interpreter.cc src/vm/sequence.cc
  src/vm/strings.cc
  src/cuda/cuda_driver.cc src/cuda/cuda_device.cc)
target_include_directories(kestrel_vm PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}> PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
target_compile_options(kestrel_vm PRIVATE -Wall -Wextra)
target_link_libraries(kestrel_vm PUBLIC Threads::Threads ${CMAKE_DL_LIBS})

add_executable(kestrel-run tools/kestrel-run.cc tools/tensor_pb.cc)
target_compile_options(kestrel-run PRIVATE -Wall -Wextra)
target_link_libraries(kestrel-run PRIVATE kestrel_vm)

add_executable(thread-pool-stress tools/thread-pool-stress.cc)
target_include_directories(thread-pool-stress PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
target_compile_options(thread-pool-stress PRIVATE -Wall -Wextra)
target_link_libraries(thread-pool-stress PRIVATE kestrel_vm)
