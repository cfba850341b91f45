# kestrel_llvm: node addon wrapping LLVM 14 (parse textual IR, verify, O3 via the new pass manager,
# emit object/assembly; build constant-data objects). Links the shared libLLVM-14.so.
find_package(LLVM 14 CONFIG)
if(NOT LLVM_FOUND)
  message(FATAL_ERROR "kestrel_llvm, the compiler part, needs LLVM 14's development files "
    "(Debian/Ubuntu: apt-get install llvm-14-dev; elsewhere -DLLVM_DIR=PREFIX/lib/cmake/llvm). "
    "The runtime alone builds without them: configure with -DKESTREL_LLVM=OFF.")
endif()
execute_process(COMMAND node -p "require('node-addon-api').include"
  WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
  OUTPUT_VARIABLE KESTREL_NAPI_INC OUTPUT_STRIP_TRAILING_WHITESPACE)
string(REPLACE "\"" "" KESTREL_NAPI_INC "${KESTREL_NAPI_INC}")

# cpu_features.cc: the runtime's table of checkable CPU features, which fills target.requires.
add_library(kestrel_llvm SHARED src/llvm_addon/llvm_backend.cc src/llvm_addon/llvm_data.cc
  src/llvm_addon/llvm_addon.cc src/util/cpu_features.cc ${CMAKE_JS_SRC})
set_target_properties(kestrel_llvm PROPERTIES PREFIX "" SUFFIX ".node")
# Sources include each other by their folder under src/ ("util/cpu_features.h"); LLVM's own
# "llvm/..." headers come first.
target_include_directories(kestrel_llvm PRIVATE ${CMAKE_JS_INC} ${KESTREL_NAPI_INC} ${LLVM_INCLUDE_DIRS}
  ${CMAKE_CURRENT_SOURCE_DIR}/src)
separate_arguments(KESTREL_LLVM_DEFS NATIVE_COMMAND ${LLVM_DEFINITIONS})
target_compile_definitions(kestrel_llvm PRIVATE ${KESTREL_LLVM_DEFS}
  NAPI_VERSION=8 NAPI_CPP_EXCEPTIONS NODE_ADDON_API_DISABLE_DEPRECATED)
target_compile_options(kestrel_llvm PRIVATE -fexceptions)
if(LLVM_LINK_LLVM_DYLIB OR TARGET LLVM)
  target_link_libraries(kestrel_llvm PRIVATE LLVM ${CMAKE_JS_LIB})
else()
  llvm_map_components_to_libnames(KESTREL_LLVM_LIBS all)
  target_link_libraries(kestrel_llvm PRIVATE ${KESTREL_LLVM_LIBS} ${CMAKE_JS_LIB})
endif()
