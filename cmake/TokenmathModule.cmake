# tm_module(NAME [DEPS tm_a tm_b ...] [PRIVATE_DEPS ...]): one library per src/<NAME>/ folder, its sources the
# folder's *.cpp, its public headers under include/. DEPS is the module's allowed dependency list (ARCHITECTURE.md):
# a module may include only the headers of what it links.
function(tm_module name)
  cmake_parse_arguments(TM "" "" "DEPS;PRIVATE_DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  add_library(tm_${name} ${sources})
  target_include_directories(tm_${name} PUBLIC include)
  target_link_libraries(tm_${name} PUBLIC ${TM_DEPS} PRIVATE ${TM_PRIVATE_DEPS})
endfunction()
