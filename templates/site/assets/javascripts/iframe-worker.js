/*
 * mldossier: a stand-in for `Worker` when the site is opened from disk (file://), where
 * browsers refuse to start web workers. mkdocs-material runs its search in a worker; this
 * runs the same worker script inside a hidden same-origin <iframe> and passes messages
 * between the two, so search works offline without anything fetched from the network.
 * Over http(s) it does nothing: the browser's own Worker is used.
 * (The name contains "iframe-worker" so mkdocs-material's offline plugin does not add its
 * own copy of such a shim from a CDN.)
 */
(function () {
  "use strict";
  if (window.location.protocol !== "file:") {
    return;
  }

  function FrameWorker(url) {
    var target = document.createElement("div");
    var self = this;
    var queue = [];
    var ready = false;
    var frame = document.createElement("iframe");
    var absolute = new URL(url, document.baseURI).href;

    this.onmessage = null;
    this.onerror = null;
    this.addEventListener = target.addEventListener.bind(target);
    this.removeEventListener = target.removeEventListener.bind(target);

    function deliverToPage(data) {
      window.setTimeout(function () {
        var event = new MessageEvent("message", { data: data });
        target.dispatchEvent(event);
        if (typeof self.onmessage === "function") {
          self.onmessage(event);
        }
      }, 0);
    }

    function deliverToWorker(data) {
      var scope = frame.contentWindow;
      window.setTimeout(function () {
        scope.dispatchEvent(new scope.MessageEvent("message", { data: data }));
      }, 0);
    }

    frame.hidden = true;
    frame.setAttribute("aria-hidden", "true");
    frame.tabIndex = -1;
    document.body.appendChild(frame);
    var scope = frame.contentWindow;
    // The worker script calls the global postMessage(result) and listens for "message".
    scope.postMessage = deliverToPage;
    scope.importScripts = function () {
      throw new Error("importScripts is not available when the site is opened from disk");
    };
    var script = scope.document.createElement("script");
    script.src = absolute;
    script.onload = function () {
      ready = true;
      queue.splice(0).forEach(deliverToWorker);
    };
    script.onerror = function (error) {
      var event = new ErrorEvent("error", { message: "could not load " + absolute });
      target.dispatchEvent(event);
      if (typeof self.onerror === "function") {
        self.onerror(event);
      }
    };
    scope.document.body.appendChild(script);

    this.postMessage = function (data) {
      if (ready) {
        deliverToWorker(data);
      } else {
        queue.push(data);
      }
    };
    this.terminate = function () {
      frame.remove();
    };
  }

  window.Worker = FrameWorker;
})();
