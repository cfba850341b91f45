# kestrel_runtime: the node addon (N-API via node-addon-api) over the C API. Built by cmake-js,
# which provides CMAKE_JS_INC / CMAKE_JS_SRC / CMAKE_JS_LIB. Output: kestrel_runtime.node.
# C++ exceptions are on (the addon catches them at its boundaries); unthrowable exceptions during
# environment teardown (worker threads terminated mid-run) are swallowed instead of aborting.
execute_process(COMMAND node -p "require('node-addon-api').include"
  WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
  OUTPUT_VARIABLE KESTREL_RT_NAPI_INC OUTPUT_STRIP_TRAILING_WHITESPACE)
string(REPLACE "\"" "" KESTREL_RT_NAPI_INC "${KESTREL_RT_NAPI_INC}")

add_library(kestrel_runtime SHARED src/addon/addon_runtime.cc src/addon/addon_inspect.cc ${CMAKE_JS_SRC})
set_target_properties(kestrel_runtime PROPERTIES PREFIX "" SUFFIX ".node")
target_include_directories(kestrel_runtime PRIVATE ${CMAKE_JS_INC} ${KESTREL_RT_NAPI_INC}
  ${CMAKE_CURRENT_SOURCE_DIR}/src)
target_compile_definitions(kestrel_runtime PRIVATE NAPI_VERSION=8 NAPI_CPP_EXCEPTIONS
  NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS NODE_ADDON_API_DISABLE_DEPRECATED)
target_compile_options(kestrel_runtime PRIVATE -fexceptions -Wall -Wextra)
target_link_libraries(kestrel_runtime PRIVATE kestrel_vm ${CMAKE_JS_LIB})
