package io.omnigen4j.imaging;

import io.omnigen4j.sdk.image.ImageSize;
import java.awt.Dimension;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.apache.commons.imaging.Imaging;

/**
 * One image-decoding library behind {@link DesktopImageCodec}: reads the header size, or the whole image. The two
 * implementations are the JDK's {@code javax.imageio} and Apache commons-imaging.
 */
enum DecoderBackend {
    /**
     * JDK ImageIO. Its JPEG decoder (IJG libjpeg: islow IDCT, fancy upsampling) matched PIL's libjpeg-turbo exactly on
     * the fixture JPEG, it keeps grey samples lossless, and it never applies PNG gamma or ICC data to the samples.
     */
    IMAGE_IO("javax.imageio") {
        @Override
        ImageSize probe(byte[] data) throws IOException {
            try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
                ImageReader r = reader(in);
                try {
                    return new ImageSize(r.getWidth(0), r.getHeight(0));
                } finally {
                    r.dispose();
                }
            }
        }

        @Override
        BufferedImage read(byte[] data) throws IOException {
            try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
                ImageReader r = reader(in);
                try {
                    return r.read(0);
                } finally {
                    r.dispose();
                }
            }
        }

        private ImageReader reader(ImageInputStream in) throws IOException {
            Iterator<ImageReader> it = ImageIO.getImageReaders(in);
            if (!it.hasNext()) {
                throw new IOException("no ImageIO reader recognises the data");
            }
            ImageReader r = it.next();
            r.setInput(in, true, true);
            return r;
        }
    },

    /**
     * Apache commons-imaging: reads formats ImageIO lacks (e.g. WebP, PNM, ICO, PSD). Not first, because its JPEG
     * decoder differed from PIL by up to 3 levels on the fixture, and it stores grey PNGs through a lossy linear-grey
     * conversion. PNG colour chunks are stripped before it sees them ({@link PngColorChunks}).
     */
    COMMONS_IMAGING("commons-imaging") {
        @Override
        ImageSize probe(byte[] data) throws IOException {
            Dimension d = Imaging.getImageSize(data);
            return new ImageSize(d.width, d.height);
        }

        @Override
        BufferedImage read(byte[] data) throws IOException {
            return Imaging.getBufferedImage(PngColorChunks.strip(data));
        }
    };

    private final String label;

    DecoderBackend(String label) {
        this.label = label;
    }

    /** Library name for error messages. */
    String label() {
        return label;
    }

    /** Size declared by the header, without decoding pixels. */
    abstract ImageSize probe(byte[] data) throws IOException;

    /** The whole (first) image. */
    abstract BufferedImage read(byte[] data) throws IOException;
}
