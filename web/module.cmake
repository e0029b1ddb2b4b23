# cmake -DIN=engine.js -DOUT=dist/engine.js -P module.cmake
# Makes Emscripten's MODULARIZE output an ES module whose default export is the factory.
file(READ ${IN} text)
file(WRITE ${OUT} "${text}\nexport default ConfabEngine;\n")
