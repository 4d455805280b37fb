/* Evidence on phones, with no inline script (the CSP allows none).

   1. Photos chosen in an input[data-resize] are shrunk in the browser (a canvas, longer side
      at most data-resize pixels, JPEG) before the form sends them: a 12-megapixel photo of
      4 MB goes up as a few hundred kB over a village's mobile network. The photo's EXIF
      segment is carried over (the server reads the place and time taken from it, then strips
      it), its orientation set to upright since the canvas has turned the pixels already.
      PDFs and anything the browser cannot draw are sent as they are; the server checks all.
   2. button[data-locate]: with the user's consent (the browser asks), fills the latitude and
      longitude inputs named in data-lat / data-lon (looked up in the button's form or row)
      from the phone's location. */
(function () {
  "use strict";

  function exifSegment(buffer) {
    // The APP1 "Exif" segment of a JPEG, or null.
    var view = new DataView(buffer);
    if (view.byteLength < 4 || view.getUint16(0) !== 0xffd8) return null;
    var offset = 2;
    while (offset + 4 <= view.byteLength) {
      var marker = view.getUint16(offset);
      var length = view.getUint16(offset + 2);
      if ((marker & 0xff00) !== 0xff00 || marker === 0xffda) return null;
      if (marker === 0xffe1 && view.getUint32(offset + 4) === 0x45786966) {
        return new Uint8Array(buffer.slice(offset, offset + 2 + length));
      }
      offset += 2 + length;
    }
    return null;
  }

  function setUpright(segment) {
    // Orientation (tag 0x0112 in IFD0) := 1, in place.
    var view = new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
    var tiff = 10; // FFE1, length, "Exif\0\0"
    if (segment.byteLength < tiff + 8) return;
    var little = view.getUint16(tiff) === 0x4949;
    var ifd = tiff + view.getUint32(tiff + 4, little);
    if (ifd + 2 > segment.byteLength) return;
    var count = view.getUint16(ifd, little);
    for (var i = 0; i < count; i++) {
      var entry = ifd + 2 + i * 12;
      if (entry + 12 > segment.byteLength) return;
      if (view.getUint16(entry, little) === 0x0112) view.setUint16(entry + 8, 1, little);
    }
  }

  function withExif(blob, segment) {
    if (!segment) return Promise.resolve(blob);
    return blob.arrayBuffer().then(function (buffer) {
      var bytes = new Uint8Array(buffer);
      // After the new file's SOI (FFD8); its own JFIF APP0 may stay.
      return new Blob([bytes.slice(0, 2), segment, bytes.slice(2)], { type: "image/jpeg" });
    });
  }

  function shrink(file, longest) {
    if (!/^image\/(jpeg|png|webp|heic|heif)$/.test(file.type) || !window.createImageBitmap) {
      return Promise.resolve(file);
    }
    return file.arrayBuffer().then(function (buffer) {
      var segment = file.type === "image/jpeg" ? exifSegment(buffer) : null;
      return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
        var scale = Math.min(1, longest / Math.max(bitmap.width, bitmap.height));
        if (scale === 1 && file.size < 1024 * 1024) return file; // small enough already
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(bitmap.width * scale);
        canvas.height = Math.round(bitmap.height * scale);
        canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        return new Promise(function (resolve) {
          canvas.toBlob(resolve, "image/jpeg", 0.85);
        }).then(function (blob) {
          if (!blob) return file;
          if (segment) setUpright(segment);
          return withExif(blob, segment).then(function (out) {
            var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
            return new File([out], name, { type: "image/jpeg", lastModified: file.lastModified });
          });
        });
      });
    }).catch(function () {
      return file; // the browser could not draw it: the server decides
    });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-resize]")) return;
    // Setting input.files below fires no change event, so this runs once per choice.
    if (!window.DataTransfer || !input.files.length) return;
    var longest = parseInt(input.dataset.resize, 10) || 1600;
    input.removeAttribute("data-resized");
    var form = input.form;
    var buttons = form ? form.querySelectorAll("button[type=submit]") : [];
    buttons.forEach(function (b) { b.disabled = true; });
    Promise.all(Array.prototype.map.call(input.files, function (f) { return shrink(f, longest); }))
      .then(function (files) {
        var transfer = new DataTransfer();
        files.forEach(function (f) { transfer.items.add(f); });
        input.files = transfer.files;
        // Marks the input done (what remains to send is final), for people and tests alike.
        input.setAttribute("data-resized", String(files.length));
        input.dispatchEvent(new Event("evidence:resized", { bubbles: true }));
      })
      .finally(function () {
        buttons.forEach(function (b) { b.disabled = false; });
      });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-locate]");
    if (!button) return;
    event.preventDefault();
    var scope = button.closest("[data-locate-scope]") || button.form || document;
    var lat = scope.querySelector(button.dataset.lat);
    var lon = scope.querySelector(button.dataset.lon);
    var status = scope.querySelector("[data-locate-status]");
    if (!navigator.geolocation || !lat || !lon) return;
    if (status) status.textContent = button.dataset.waiting || "…";
    navigator.geolocation.getCurrentPosition(
      function (position) {
        lat.value = position.coords.latitude.toFixed(6);
        lon.value = position.coords.longitude.toFixed(6);
        if (status) status.textContent = lat.value + ", " + lon.value;
      },
      function () {
        if (status) status.textContent = button.dataset.failed || "";
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });
})();
