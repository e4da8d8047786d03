# The installable app: desktop integration (.desktop entry, AppStream metainfo, hicolor icons, man
# pages), the bundled models, and the Debian package built by CPack (`cmake --build BUILD --target
# package`, or `cpack` in BUILD). Included from the top-level CMakeLists.txt after app/, so the
# executables' own install() rules (app/CMakeLists.txt) are already known.

set(CMSTUDIO_APP_ID io.github.cmstudio.CMStudio)
set(CMSTUDIO_PACKAGE_MAINTAINER "CM Studio developers <maintainers@users.noreply.h-seed-7780548b.example>"
    CACHE STRING "The Maintainer field of the Debian package")
set(_cmstudio_packaging ${CMAKE_CURRENT_LIST_DIR})

# The model locator (core/model_locator.h) looks in <exe dir>/../share/cmstudio/models, so this
# path is fixed relative to bin/, not a GNUInstallDirs variable. Evaluators are installed too (eval needs
# them); checkpoints and logs that may lie next to the models are not.
install(DIRECTORY ${CMSTUDIO_SOURCE_MODELS_DIR}/ DESTINATION share/cmstudio/models
        FILES_MATCHING PATTERN "*.safetensors")

# The Style view's reference swatches (scripts/make-style-swatches.sh), found the same way (style-swatches).
install(DIRECTORY ${CMSTUDIO_SOURCE_SWATCHES_DIR}/ DESTINATION share/cmstudio/style-swatches
        FILES_MATCHING PATTERN "*.png")

install(FILES ${_cmstudio_packaging}/${CMSTUDIO_APP_ID}.desktop DESTINATION share/applications)
install(FILES ${_cmstudio_packaging}/${CMSTUDIO_APP_ID}.metainfo.xml DESTINATION share/metainfo)
# icons/hicolor mirrors the installed tree: scalable/apps/ID.svg and NxN/apps/ID.png (render-icons.sh).
install(DIRECTORY ${_cmstudio_packaging}/icons/hicolor DESTINATION share/icons)
install(FILES ${_cmstudio_packaging}/copyright DESTINATION share/doc/cmstudio)

# The metainfo's newest release must be this version (software centres show it).
file(STRINGS ${_cmstudio_packaging}/${CMSTUDIO_APP_ID}.metainfo.xml _cmstudio_release
     REGEX "<release version=\"[^\"]+\"" LIMIT_COUNT 1)
if(NOT _cmstudio_release MATCHES "version=\"${PROJECT_VERSION}\"")
  message(WARNING "packaging/${CMSTUDIO_APP_ID}.metainfo.xml: the first <release> is not ${PROJECT_VERSION}; "
                  "add a release entry for it")
endif()

# Man pages: the version is filled in, then gzip -9n (no name or time stamp: reproducible), as Debian does.
set(_cmstudio_man_pages cmstudio-cli)
if(TARGET cmstudio)
  list(APPEND _cmstudio_man_pages cmstudio)
else()
  message(WARNING "no target 'cmstudio' (the GUI): the package will lack it and scripts/check-package.sh will fail")
endif()
find_program(GZIP_PROGRAM gzip REQUIRED)
set(_cmstudio_man_outputs)
foreach(page IN LISTS _cmstudio_man_pages)
  configure_file(${_cmstudio_packaging}/man/${page}.1.in ${CMAKE_CURRENT_BINARY_DIR}/packaging/${page}.1 @ONLY)
  add_custom_command(
    OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/packaging/${page}.1.gz
    COMMAND ${GZIP_PROGRAM} -9nf -k ${CMAKE_CURRENT_BINARY_DIR}/packaging/${page}.1
    DEPENDS ${CMAKE_CURRENT_BINARY_DIR}/packaging/${page}.1
    COMMENT "Compressing man page ${page}.1")
  list(APPEND _cmstudio_man_outputs ${CMAKE_CURRENT_BINARY_DIR}/packaging/${page}.1.gz)
endforeach()
add_custom_target(cmstudio-man-pages ALL DEPENDS ${_cmstudio_man_outputs})
install(FILES ${_cmstudio_man_outputs} DESTINATION share/man/man1)

# --- the Debian package ---------------------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME cmstudio)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "CM Studio developers")
set(CPACK_PACKAGE_CONTACT "${CMSTUDIO_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "desktop studio for consistency models (one-step image generation)")
# The extended description: CPack puts the summary above it, indents every line by one space and turns
# the empty line into " .".
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "CM Studio trains consistency models (from an EDM teacher by distillation,
or without a teacher), generates images from them in one network
evaluation or a few, and edits images with them zero-shot: inpainting,
colorization, super-resolution, stroke-guided editing and denoising.

The package contains the Qt desktop application (cmstudio), the
command-line tool that scripts all of it (cmstudio-cli), and models
trained on Fashion-MNIST with the evaluator that measures them. Models
are safetensors files with their model card inside. Everything runs on
the CPU with LibTorch.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # cmstudio_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CMSTUDIO_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION graphics)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Libraries the binaries link come from dpkg-shlibdeps (dpkg-dev). What is only loaded at run time
# has to be named here:
# - OpenBLAS: LibTorch links libblas.so.3 / liblapack.so.3, which dpkg-shlibdeps resolves to
#   "libblas3 | libblas.so.3" (libtorch only Recommends OpenBLAS), and the reference BLAS makes matrix
#   products ~20x slower; the OpenMP build shares LibTorch's libgomp threads.
# - qt6-image-formats-plugins: the WebP plugin; the GUI's open dialog offers .webp (QImageReader).
# - Qt's platform plugins need no entry: on Debian 12 xcb and offscreen ship in libqt6gui6, which
#   dpkg-shlibdeps adds for the GUI (qt6-qpa-plugins only holds vnc and tuio); qt6-wayland is the
#   native Wayland plugin (without it Qt runs through XWayland).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libopenblas0-openmp | libopenblas0, qt6-image-formats-plugins")
# The Chinese user interface needs a CJK font; Qt's own dialogs are translated by qt6-translations-l10n.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "qt6-wayland, fonts-noto-cjk, qt6-translations-l10n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
